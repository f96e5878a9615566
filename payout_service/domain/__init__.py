"""Pure payout rules: money, the payout state machine, accounts and their holds.

No framework is imported here."""
