from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `outbox_messages` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `message_id` VARCHAR(36) NOT NULL UNIQUE,
    `event_name` VARCHAR(64) NOT NULL,
    `aggregate_type` VARCHAR(32) NOT NULL,
    `aggregate_id` VARCHAR(64) NOT NULL,
    `payload` LONGTEXT NOT NULL,
    `headers` LONGTEXT NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `attempts` INT NOT NULL,
    `last_error` LONGTEXT,
    `available_at` DATETIME(6) NOT NULL,
    `claimed_by` VARCHAR(64),
    `claimed_until` DATETIME(6),
    `created_at` DATETIME(6) NOT NULL,
    `published_at` DATETIME(6),
    KEY `idx_outbox_mess_aggrega_47e222` (`aggregate_id`),
    KEY `idx_outbox_mess_status_867810` (`status`, `available_at`, `id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='A domain event waiting to be published; id order is write order.';
CREATE TABLE IF NOT EXISTS `users` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `name` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(6) NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `api_keys` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `key_hash` VARCHAR(64) NOT NULL UNIQUE,
    `prefix` VARCHAR(16) NOT NULL,
    `label` VARCHAR(255) NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `revoked_at` DATETIME(6),
    `user_id` BIGINT NOT NULL,
    CONSTRAINT `fk_api_keys_users_14eca04b` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `idempotency_keys` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `key` VARCHAR(255) NOT NULL,
    `fingerprint` VARCHAR(64) NOT NULL,
    `response_status` INT NOT NULL,
    `response_body` LONGTEXT NOT NULL,
    `payout_id` VARCHAR(36) NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `expires_at` DATETIME(6) NOT NULL,
    `user_id` BIGINT NOT NULL,
    UNIQUE KEY `uid_idempotency_user_id_bc4599` (`user_id`, `key`),
    CONSTRAINT `fk_idempote_users_b36971d2` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT,
    KEY `idx_idempotency_expires_ae52bb` (`expires_at`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `payouts` (
    `id` VARCHAR(36) NOT NULL PRIMARY KEY,
    `amount_minor` BIGINT NOT NULL,
    `currency` VARCHAR(8) NOT NULL,
    `wallet` VARCHAR(255) NOT NULL,
    `external_reference` VARCHAR(128) NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `provider_payout_id` VARCHAR(128) UNIQUE,
    `provider_status` VARCHAR(32),
    `send_attempts` INT NOT NULL,
    `last_error` LONGTEXT,
    `next_retry_at` DATETIME(6),
    `completed_at` DATETIME(6),
    `created_at` DATETIME(6) NOT NULL,
    `updated_at` DATETIME(6) NOT NULL,
    `user_id` BIGINT NOT NULL,
    UNIQUE KEY `uid_payouts_user_id_2bcf3d` (`user_id`, `external_reference`),
    CONSTRAINT `fk_payouts_users_80fb848e` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT,
    KEY `idx_payouts_status_c4db49` (`status`),
    KEY `idx_payouts_user_id_a068c1` (`user_id`, `created_at`, `id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `user_accounts` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `currency` VARCHAR(8) NOT NULL,
    `balance_minor` BIGINT NOT NULL,
    `held_minor` BIGINT NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `updated_at` DATETIME(6) NOT NULL,
    `user_id` BIGINT NOT NULL,
    UNIQUE KEY `uid_user_accoun_user_id_11f67f` (`user_id`, `currency`),
    CONSTRAINT `fk_user_acc_users_9b810322` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `account_ledger_entries` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `kind` VARCHAR(16) NOT NULL,
    `amount_minor` BIGINT NOT NULL,
    `payout_id` VARCHAR(36),
    `created_at` DATETIME(6) NOT NULL,
    `account_id` BIGINT NOT NULL,
    CONSTRAINT `fk_account__user_acc_ca57a0d0` FOREIGN KEY (`account_id`) REFERENCES `user_accounts` (`id`) ON DELETE RESTRICT,
    KEY `idx_account_led_payout__fe2990` (`payout_id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='Append-only: rows are inserted, never updated or deleted.';
CREATE TABLE IF NOT EXISTS `aerich` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `version` VARCHAR(255) NOT NULL,
    `app` VARCHAR(100) NOT NULL,
    `content` JSON NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztXVtzmzgU/iuMn9qZtJPYuXi7T242bb1tkk7q3e2002FkOLE1AYkVIomnm/++EgZzJ4"
    "YYFxO9GUmfLH/nIM4N+WfPpiZY7uuRYVCP8E9gzoCdEc4WvTfazx5BNogPJaP2tB5ynGiM"
    "bOBoavkwtByvWz5AB4HA4A9BU5czZHAx6hpZLogmE1yDYYdjSiR25DhAzFeUWIs3GqN3ro"
    "YYaJi4wDiYexqBW2Ca55hIXGqUaeLbQXx8Lac3qSHmx2T25Jk8gv/1QOd0BnwOTMz3/Ydo"
    "xsSEe/FTgkvnRr/GYJkJ0rApJ/Dbdb5w/La3eDYm/J0/Vq5zqhvU8mwSjXcWfE7JCoAJl6"
    "0zIMDk+kQbZ57ki3iWFRAdUrhcbDRkucoYxoRr5FmSdYleLiBq6+n6xeVE/3I20fVeRiIh"
    "IkZt0GRQIqUplur6BMzkEl791u8PBif9/cHx8Ojw5ORouD8UY/31ZrtOHpaLidhaTuVzNn"
    "4/vpjIBVGhMkvNkg0PPgZxtET5wojYvxE/Psv/6RyxfPbD8Sn+xQ9L8x+yXSaAsCGSQKTm"
    "2xCBje7FXUdmfC4uD45L2P17dHX6YXT14uD4ZZLii6Cn73dJsiNyke3f1zYmlFVT8jTycX"
    "XfBbq3qPGREBy0oB7X87aZYjVPgGrperCVlHC/1c0moemDdTR9UKzpg4ymGwwkFTriWZb/"
    "ED0c25DPdBKZotoMoK/DDzuo9SVUT8bnZ18mo/PPcnrbdf+1fL5GkzPZ0/dbF6nWF2mxrC"
    "bR/hlPPmjyUvt2eXHm00ldPmP+N0bjJt96ck3I41Qn9E5HZpyTsDlsSm5ogaVS9ZmdxKnN"
    "rNJmJi2n65vcp3fAa1YY7ygDPCMfYeELZCyWjogBOewHNutfwswbRbPtmDAeQoULW6Ptla"
    "G7ldGZ0kPBwtKGlV1X4ua4Gp8KwiXfU2Tc3CFm6gniZQ/t01TLamy2y+7b6RZE0MwnSP4S"
    "ue7QaXCwkFYvz51Y9pS7EA7Wb2CxntNQTKsy41u8D5Sa8bDQ58idVzLlY5jNmPO/VhAJE+"
    "f4cA0T5/iw0MSRXSk7ksE1vq9kRK4Qyltaw1sSvxusKvyuANujt9fbCrn9o6M12BWjCun1"
    "+5SN/gxtdAa39KaWmJPIDYj5cR9YSbmmlD1hr1d2w2Ig5YNtygeTpG7IAdtBEazrecVUr1"
    "Vu19gE26EciLEocL9SI/bK3DAcjW3IHfu+0jcxf++H8s7askPslXtnFR2zjjoNjdi11+L7"
    "gTkM5wXCillOwTrI9uZ9YGHAOOIbQRdPM+65WboLN5QcZJdMkP7B4cnhcHB8uNpXVi1l20"
    "k2W7XiaUrNnE1jAvePERwCO6HQZSb72ddJwloPFffF+ejry4TF/uny4n04PKbop58u37Yj"
    "Wdg22lW6sJUav2tOKtw7WExXQ8xJ5HbEvE27tEtSVqEIFYpogwh2PRRx6fEpvT8H10W+Mm"
    "UiEckBe2WBCOoP1e3l2HVrSTWT2oI4DW6BcO0OYS741jjVpqA53tTC7hzM3zUsyz9NYBp2"
    "tTuGOSwvc0pKNzDh4ynp773Ip0C3CPv6GTw5hJh/qKBIK4MigW5WtLWTqM6lrTdvavu3nu"
    "5fVaA5ieqgT7P52AiaCaNqJvhY8lSB7Cyyg4QP+utodr9Ys/vFhFfbQtK4psjuVPELWlgU"
    "5dBcHJCKQTqhztsORc0BCRsoJ8ZaTHkMoiivQXlRVLt4LymMZjdZgyTf05K0bWUvaeCtGM"
    "7BdniV7EEcsr1wwX6z9vfGcgYWcrkOjOW9ZFS8WSRRDb3j0untIu1sVglwprEqkt3qGKdh"
    "ISEEU59WSuQnUV24xZq2M0PGPMJxTi3wI7mhNFiVMLb6nlJJwOcg5lWct4ag01h1Q7dN0p"
    "ls1K/JnXz2SzB6OUmToGevLFuyLOBotFpTmOHACLJ0BtfAQObf0sWb0eDk/lY5h1FskKio"
    "eWnUvDhZoU5yaMFJDobH5J1TzQSPYToRE0tq/nANxR8W6v0wbX7fIcuCSlW0EaKD7DZSrp"
    "zzJKjAdz66g9wf9NfRbTGqOPLYz+h3GwO8v+6xufnQrsPoLTaB6fXqaHPRGwmbtMhYaUSx"
    "V9RV1/AcaPciVZvPPrtApIFeOZWRwal8hspntCOfQQS3wq7gbFEjVJMBq1hN22I1CV+K2o"
    "5/fGed8GsKqyTdakmrMPtzEHNwMG8NMSeRSsztFrN62Ua9bNMCEez6yzY+7TnpolAcxcki"
    "+YvUOYvP9KWVqu9RdPgNCnVGnbJiGqoUiOVdY+fapva8APnu4xVYyCez8BkbnaC7mzLPPG"
    "UT90zeoVP1ucoed9VFzmIVH/WpikpLukhRcFb2Eznq5rniD02bpiFlBRZqjNFyQ1WPS7Gp"
    "2qZVjYU6jm4njFhVR9N0Hc0UWdLrr1MvloF2Jj+45WqxuQTWEEASp9ivWaunHLmuOnIq6/"
    "D8xKyyDirr0AIRbCPrEKvUjf6I9Qmxp9w/g+0I7436wSNg2Jj3clzgoGev9B+xojGtydM8"
    "F//2iZWAxZ7rLTA3uNvWdVxjkA76rY0kYeRNVYHhYHgH2T3Y31+nVHt/v7hUW/alPCNKOO"
    "QdVf/nl8uLooK7FSRtKGODa/9pFnZ30aIqIVeSkbCOMwWu6VrWlNkrJ3ibZ0tts97g4X8v"
    "nkRy"
)
