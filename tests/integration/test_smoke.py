async def test_create_then_read_a_payout(api, auth):
    # Given the demo user's key
    body = {
        "user_id": 123,
        "amount": "150.00",
        "currency": "USD",
        "wallet": "W1",
        "external_reference": "ref-1",
    }
    # When a payout is created and read back
    created = await api.post("/api/payouts", json=body, headers={**auth, "Idempotency-Key": "k1"})
    payout = await created.json()
    read = await api.get(f"/api/payouts/{payout['id']}", headers=auth)
    # Then both show the same pending payout
    assert created.status == 201
    assert (await read.json())["status"] == "pending"
    assert (await read.json())["amount_minor"] == 15000
