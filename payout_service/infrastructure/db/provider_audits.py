"""provider_audits: each `payout-service provider audit` run's counts, newest last."""

from __future__ import annotations

import json

from payout_service.application.ports import AuditRun
from payout_service.infrastructure.db.session import SqlSession


class SqlProviderAudits:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def record(self, run: AuditRun) -> None:
        d = self._s.dialect
        await self._s.execute(
            "INSERT INTO provider_audits (started_at, finished_at, checked, unanswered,"
            " disagreements) VALUES (%s, %s, %s, %s, %s)",
            d.to_db(run.started_at),
            d.to_db(run.finished_at),
            run.checked,
            run.unanswered,
            json.dumps(run.disagreements, sort_keys=True),
        )

    async def latest(self) -> AuditRun | None:
        rows = await self._s.rows(
            "SELECT started_at, finished_at, checked, unanswered, disagreements"
            " FROM provider_audits ORDER BY id DESC LIMIT 1"
        )
        if not rows:
            return None
        r, d = rows[0], self._s.dialect
        started, finished = d.from_db(r["started_at"]), d.from_db(r["finished_at"])
        assert started is not None and finished is not None
        counts = {str(k): int(v) for k, v in json.loads(r["disagreements"]).items()}
        return AuditRun(started, finished, int(r["checked"]), int(r["unanswered"]), counts)
