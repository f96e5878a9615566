"""`payout-service ledger verify`: the ledger's invariants, checked against the stored rows.

For every user account (accounts open at zero; money arrives as deposit postings, so the opening
balance is the first deposit's line):
  balance = the sum of its posted lines (deposit and debit kinds, credit minus debit)
  held    = the sum of its holds that no debit or release has settled
  available = balance - held >= 0
For the ledger as a whole: every posting is one user line and one clearing line of one currency
whose debits equal its credits (so the sum of debits equals the sum of credits), and no hold is
posted or voided twice, or settled for another amount than was held, or settled without a hold;
no return is credited twice, or for another amount than was debited, or without a debit.
For every payout, its lines match its status: a success payout has one debit, a returned one a
debit and one return credit, a failed or cancelled one one release, an unfinished one none. A
payout that changed after `quiet_since` may still have its entry on its way (a change an earlier
version committed, whose books consumer posts it afterwards; today the changing transaction posts
it): only lines it should not have are held against it.

Each check is one aggregate query that returns only the rows breaking it, so a clean ledger of
any size comes back as a handful of empty results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from payout_service.domain.accounts import POSTED_KINDS
from payout_service.infrastructure.db.ledger_history import SETTLING_KINDS_SQL
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)  # no quiet moment given: every payout counts
POSTED_KINDS_SQL = ", ".join(f"'{kind}'" for kind in sorted(POSTED_KINDS))

# Each sum is one grouped pass over the lines: a correlated subquery per hold (is it settled?)
# made a ledger of 50 000 batch holds take over ten minutes on MariaDB.
_ACCOUNTS = f"""
SELECT * FROM (
  SELECT a.id, a.currency, a.balance_minor, a.held_minor,
    COALESCE(posted.amount, 0) AS posted, COALESCE(holds.amount, 0) AS open_holds
  FROM user_accounts a
  LEFT JOIN (
    SELECT account_id, SUM(CASE WHEN direction = 'credit' THEN amount_minor
                                ELSE -amount_minor END) AS amount
    FROM account_ledger_entries
    WHERE account_id IS NOT NULL AND kind IN ({POSTED_KINDS_SQL})
    GROUP BY account_id
  ) posted ON posted.account_id = a.id
  LEFT JOIN (
    SELECT account_id, SUM(held) AS amount FROM (
      SELECT account_id, payout_id,
        SUM(CASE WHEN kind = 'hold' THEN amount_minor ELSE 0 END) AS held,
        SUM(CASE WHEN kind IN ({SETTLING_KINDS_SQL}) THEN 1 ELSE 0 END) AS settlements
      FROM account_ledger_entries
      WHERE account_id IS NOT NULL AND payout_id IS NOT NULL
      GROUP BY account_id, payout_id
    ) by_payout
    WHERE settlements = 0
    GROUP BY account_id
  ) holds ON holds.account_id = a.id
) t
WHERE t.balance_minor <> t.posted OR t.held_minor <> t.open_holds
   OR t.balance_minor < t.held_minor OR t.held_minor < 0
ORDER BY t.id
"""

_UNBALANCED_POSTINGS = """
SELECT posting_id,
  SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END) AS debits,
  SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END) AS credits,
  SUM(CASE WHEN account_id IS NULL THEN 1 ELSE 0 END) AS clearing_lines,
  COUNT(*) AS line_count, COUNT(DISTINCT currency) AS currencies
FROM account_ledger_entries
GROUP BY posting_id
HAVING SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END)
         <> SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END)
    OR COUNT(*) <> 2 OR SUM(CASE WHEN account_id IS NULL THEN 1 ELSE 0 END) <> 1
    OR COUNT(DISTINCT currency) <> 1
ORDER BY posting_id
"""

_TOTALS = """
SELECT COUNT(DISTINCT posting_id) AS postings,
  COALESCE(SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END), 0) AS debits,
  COALESCE(SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END), 0) AS credits
FROM account_ledger_entries
"""

_SETTLED_TWICE = f"""
SELECT payout_id, COUNT(*) AS settlements FROM account_ledger_entries
WHERE account_id IS NOT NULL AND kind IN ({SETTLING_KINDS_SQL})
GROUP BY payout_id HAVING COUNT(*) > 1 ORDER BY payout_id
"""

_HELD_TWICE = """
SELECT payout_id, COUNT(*) AS holds FROM account_ledger_entries
WHERE account_id IS NOT NULL AND kind = 'hold'
GROUP BY payout_id HAVING COUNT(*) > 1 ORDER BY payout_id
"""

_SETTLED_WITHOUT_MATCHING_HOLD = f"""
SELECT s.id, s.payout_id, s.kind, s.amount_minor FROM account_ledger_entries s
WHERE s.account_id IS NOT NULL AND s.kind IN ({SETTLING_KINDS_SQL})
  AND NOT EXISTS (SELECT 1 FROM account_ledger_entries h
                  WHERE h.kind = 'hold' AND h.account_id = s.account_id
                    AND h.payout_id = s.payout_id AND h.amount_minor = s.amount_minor)
ORDER BY s.id
"""

_RETURNED_TWICE = """
SELECT payout_id, COUNT(*) AS returns FROM account_ledger_entries
WHERE account_id IS NOT NULL AND kind = 'return'
GROUP BY payout_id HAVING COUNT(*) > 1 ORDER BY payout_id
"""

_RETURN_WITHOUT_MATCHING_DEBIT = """
SELECT r.id, r.payout_id, r.amount_minor FROM account_ledger_entries r
WHERE r.account_id IS NOT NULL AND r.kind = 'return'
  AND NOT EXISTS (SELECT 1 FROM account_ledger_entries d
                  WHERE d.kind = 'debit' AND d.account_id = r.account_id
                    AND d.payout_id = r.payout_id AND d.amount_minor = r.amount_minor)
ORDER BY r.id
"""

# A payout's user lines by kind against its status. `%s` (twice each): the moment before which a
# payout's change must have reached the ledger.
_LINES_AGAINST_STATUS = """
SELECT * FROM (
  SELECT p.id, p.status, p.updated_at,
    SUM(CASE WHEN e.kind = 'debit' THEN 1 ELSE 0 END) AS debits,
    SUM(CASE WHEN e.kind = 'release' THEN 1 ELSE 0 END) AS releases,
    SUM(CASE WHEN e.kind = 'return' THEN 1 ELSE 0 END) AS returns
  FROM payouts p
  LEFT JOIN account_ledger_entries e ON e.payout_id = p.id AND e.account_id IS NOT NULL
  GROUP BY p.id, p.status, p.updated_at
) t
WHERE (t.status IN ('pending', 'processing') AND t.debits + t.releases + t.returns > 0)
   OR (t.status = 'success'
       AND (t.releases > 0 OR t.returns > 0 OR t.debits > 1
            OR (t.debits = 0 AND t.updated_at < %s)))
   OR (t.status = 'returned'
       AND (t.releases > 0 OR t.debits > 1 OR t.returns > 1 OR t.returns > t.debits
            OR (t.returns = 0 AND t.updated_at < %s)))
   OR (t.status IN ('failed', 'cancelled')
       AND (t.debits > 0 OR t.returns > 0 OR t.releases > 1
            OR (t.releases = 0 AND t.updated_at < %s)))
ORDER BY t.id
"""

_FOREIGN_CURRENCY = """
SELECT e.id, e.currency, a.currency AS account_currency FROM account_ledger_entries e
JOIN user_accounts a ON a.id = e.account_id
WHERE e.currency <> a.currency ORDER BY e.id
"""


@dataclass
class LedgerReport:
    accounts: int = 0
    postings: int = 0
    total_debits_minor: int = 0
    total_credits_minor: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.violations


async def verify_ledger(
    uow: SqlUnitOfWorkFactory, quiet_since: datetime | None = None
) -> LedgerReport:
    """`quiet_since`: payouts changed after it may still have a ledger entry on its way; None:
    every change has reached the ledger (the service is quiet)."""
    async with uow() as tx:
        return await _verify(tx.session, quiet_since)


async def _verify(s: SqlSession, quiet_since: datetime | None) -> LedgerReport:
    report = LedgerReport()
    (accounts,) = await s.rows("SELECT COUNT(*) AS n FROM user_accounts")
    (totals,) = await s.rows(_TOTALS)
    report.accounts = int(accounts["n"])
    report.postings = int(totals["postings"])
    report.total_debits_minor = int(totals["debits"])
    report.total_credits_minor = int(totals["credits"])
    v = report.violations
    if report.total_debits_minor != report.total_credits_minor:
        v.append(
            f"the ledger's debits ({report.total_debits_minor}) differ from its credits"
            f" ({report.total_credits_minor})"
        )
    for r in await s.rows(_ACCOUNTS):
        v.append(
            f"account {r['id']} ({r['currency']}): stored balance {r['balance_minor']} /"
            f" held {r['held_minor']}, ledger says balance {int(r['posted'])} /"
            f" held {int(r['open_holds'])}"
            + (" (available below zero)" if r["balance_minor"] < r["held_minor"] else "")
        )
    for r in await s.rows(_UNBALANCED_POSTINGS):
        v.append(
            f"posting {r['posting_id']} is unbalanced: {int(r['line_count'])} lines,"
            f" debits {int(r['debits'])}, credits {int(r['credits'])},"
            f" {int(r['clearing_lines'])} clearing lines, {int(r['currencies'])} currencies"
        )
    for r in await s.rows(_HELD_TWICE):
        v.append(f"payout {r['payout_id']} was held {int(r['holds'])} times")
    for r in await s.rows(_SETTLED_TWICE):
        v.append(f"the hold of payout {r['payout_id']} was settled {int(r['settlements'])} times")
    for r in await s.rows(_SETTLED_WITHOUT_MATCHING_HOLD):
        v.append(
            f"line {r['id']}: {r['kind']} of {r['amount_minor']} for payout {r['payout_id']}"
            " matches no hold of that amount"
        )
    for r in await s.rows(_RETURNED_TWICE):
        v.append(f"payout {r['payout_id']} was returned {int(r['returns'])} times")
    for r in await s.rows(_RETURN_WITHOUT_MATCHING_DEBIT):
        v.append(
            f"line {r['id']}: return of {r['amount_minor']} for payout {r['payout_id']}"
            " matches no debit of that amount"
        )
    before = s.dialect.to_db(quiet_since or _FAR_FUTURE)
    for r in await s.rows(_LINES_AGAINST_STATUS, before, before, before):
        v.append(
            f"payout {r['id']} is {r['status']} but has {int(r['debits'])} debits,"
            f" {int(r['releases'])} releases and {int(r['returns'])} returns"
        )
    for r in await s.rows(_FOREIGN_CURRENCY):
        v.append(f"line {r['id']} is in {r['currency']} on a {r['account_currency']} account")
    return report
