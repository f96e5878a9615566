from tests.integration.helpers import problem


async def test_liveness_is_open_and_up(api):
    response = await api.get("/up")
    assert response.status == 200
    assert await response.json() == {"status": "up"}


async def test_readiness_reports_database_and_redis_ok(api, redis_url):
    # Given the real database and the real Redis
    # When readiness is asked, without a key
    response = await api.get("/ready")
    # Then both checks pass
    assert response.status == 200
    assert await response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok"},
    }


async def test_unknown_route_is_a_404_problem(api, auth):
    for path in ("/nope", "/api/nothing-here"):
        response = await api.get(path, headers=auth)
        assert (await problem(response, 404))["code"] == "not_found"


async def test_unsupported_method_is_a_405_problem(api, auth):
    response = await api.delete("/api/payouts", headers=auth)
    body = await problem(response, 405)
    assert body["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


async def test_responses_carry_a_request_id(api):
    given = await api.get("/up", headers={"X-Request-ID": "req-42"})
    generated = await api.get("/up")
    assert given.headers["X-Request-ID"] == "req-42"
    assert len(generated.headers["X-Request-ID"]) == 32
