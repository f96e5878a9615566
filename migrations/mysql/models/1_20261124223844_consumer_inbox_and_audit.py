from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `audit_logs` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `message_id` VARCHAR(64) NOT NULL UNIQUE,
    `event_name` VARCHAR(64) NOT NULL,
    `aggregate_type` VARCHAR(32) NOT NULL,
    `aggregate_id` VARCHAR(64) NOT NULL,
    `payload` LONGTEXT NOT NULL,
    `request_id` VARCHAR(128),
    `occurred_at` DATETIME(6) NOT NULL,
    `recorded_at` DATETIME(6) NOT NULL,
    KEY `idx_audit_logs_aggrega_f7a662` (`aggregate_id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='One row per consumed domain event.';
        CREATE TABLE IF NOT EXISTS `processed_messages` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `consumer` VARCHAR(64) NOT NULL,
    `message_id` VARCHAR(64) NOT NULL,
    `processed_at` DATETIME(6) NOT NULL,
    UNIQUE KEY `uid_processed_m_consume_42787a` (`consumer`, `message_id`),
    KEY `idx_processed_m_process_952b36` (`processed_at`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='The consumer inbox: a message id a consumer has applied, written with its effect.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS `processed_messages`;
        DROP TABLE IF EXISTS `audit_logs`;"""


MODELS_STATE = (
    "eJztXVtzmzgU/iuMn9oZt5M41+0+udm0zTaXTurd7bTTYWQ4tjXBEitEEk83/30lDOZODD"
    "EEE73Zkj5Z/o4Q5wq/enNqguW8HRoGdQk/B3MK7JRwtui90371CJqD+FAwqq/1kG2HY2QD"
    "R2PLg6HleN3yADoIBAZvCBo7nCGDi1ETZDkgmkxwDIZtjimR2KFtAzHfUGIt3mmM3jkaYq"
    "Bh4gDjYPY1ArfANNc2kfiqUaaJXwfx8a2c3qSGmB+T6ZNncgn+1wWd0ynwGTAx34+fohkT"
    "E+7FX/G/2jf6BINlxkjDppzAa9f5wvba3uPpGeEfvLFynWPdoJY7J+F4e8FnlKwAmHDZOg"
    "UCTK5PtHHmSr6Ia1k+0QGFy8WGQ5arjGBMmCDXkqxL9HIBYVtP1y+vRvrX05Gu91ISCRAR"
    "av0mgxIpTbFUxyNgKpfw5rfBYG/vaLCzd3h8sH90dHC8cyzGeutNdx09LBcTsrWcyuPs7O"
    "PZ5UguiIots9xZsuHBwyCOlihPGCH7N+LPp/k/mSGWzX4wPsG/+GNJ/gO2iwQQNIQSCLd5"
    "EyKYo3tx1ZEpn4mvu4cF7P49vD75NLx+tXv4Ok7xpd8z8Lok2SG5aO5d13NMKCu3yZPIx7"
    "f7NtDd4I4PhWCjBXW5nnXM5G/zGKjSXvePkgLuGz1sYjt9b52dvpe/0/dSO91gIKnQEU+z"
    "/Ifo4XgO2UzHkQmqTR/6Nviwhbu+gOrR2cXp19Hw4oucfu44/1oeX8PRqewZeK2LROurpF"
    "hWk2j/nI0+afKr9v3q8tSjkzp8yrxfDMeNvvfkmpDLqU7onY7MKCdBc9AUP9B8TaXsPTuO"
    "U4dZqcNMak6Tm8y7t89rWhgfKAM8JZ9h4QnkTCwdEQMy2Pd11r+EmjcMZ9syYTwEGy5oDY"
    "9Xhu5WSmdiHwoWljqs7LoWF8f12YkgXPI9RsbNHWKmHiNe9tABTbSsxqa75oN5sgURNPUI"
    "kv9ErjswGmwspNXLMieWPcUmhI31G1isZzTk06rU+BafA4VqPCz0GXJmpVT5CGYz6vzzCi"
    "Km4hzur6HiHO7nqjiyK6FHMpjg+1JK5AqhrKU1rCXxv8Eqw+8K0By9vV4j5A4ODtZgV4zK"
    "pdfrUzr6C9TRGdzSm0pijiM3IObHbWAl5YpSdoW+XtoMi4CUDbYpG0ySuiEDbAtFsK7lFd"
    "l67TK7XBPzczrtZRleQV+/0PSSo3SLTteM2FwRkOEVzQamSdrcOZiaSeeCPA1ugfB0aGY9"
    "iDLeWnyA9AuMtzk4jtidJV3UcZQy4B414LwrRfe+laA5juqgIbd5otFUaDpTwceSpxJkp5"
    "EdJHxvsE70ZZAffRnkE17uCEni6iK7S6eIjRYWRRk0j+A+524ZgXRiOxfZUaffRjETKqDy"
    "1cXw2+uYGXV+dfkxGB6h/uT86n2CcgbibztlQ7hxVE0x3Od0wA2O1/HADY7zXXCyL041NQ"
    "yXsUregwRUeYla7T9gYFBmVnQTxaBK0K0TdMpb8Ty29ZkJc5tyIMYiJ7SZGNEvsrNxOLam"
    "UOePlS9HzN/7qYznbTCeb5b7pkTQszN6WAMxo4n4fWA2w1lJJvksJ2AdZHvzhoU4823xi6"
    "A7HHHXSdOde6BkILvk3h/s7h/tH+8d7q/OlVVL0XGSzgRd8TSmZsahkW/ApYCd2NBNm3HP"
    "lIjbNtpVKm4rd/w26PUxb/a9jcV0FcQcRzYj5ib10i5JWYX5VZi/DSLY9jD/lcvH9P5iGT"
    "LtZXgi4gP6RY4I6g3V/fjrunWasXi9docwF3xrnGpj0Gx3bGFnBubvGpallSYwDTvaHcMc"
    "ll8zyjU3MOHjGQM/eqFNgW4R9vanf+cQYv6pnCKtdIqojIJGVG2VUaAyCtpAuMoo2ObNrT"
    "IKGndFzQAJHSjDx5pPeQSiKK9AeZ5XO/8syfVm11nfI5+BImlr5Cyp4YkTnMPc5mWiB1FI"
    "c+6CnXr1743FDCzkcB0Yy3qAR/5hEUd1Ifeo6eMiaWyWcXAmscqT3Wofp2EhIQRTH5cK5M"
    "dRXbjE6tYzA8ZcwnFGne0jsaEkWJUHtvqaUkHAlyDmlZ+3gqCTWHVBt03SLUnj/OKlYPQy"
    "giZ+T78oWrJM4Kg1W1Oo4cAIsnQGE2Ag42/J5M1wcPx8Kx3DyFdIlNe80GueH6xQT0lswV"
    "MSvdoNYpRTwSOYTvjE4jt/nfKa/OKaVGnNHbIsKJVFGyI6yG4t6coZd4ISfGejO8h9LaVj"
    "bXTwPt9tc/OuXZvRW2wC06vl0WaiN+I2aZGyUsvGXlFXfodnQLvnqdp89NkBIhX00qGMFE"
    "7FM1Q8ox3xDCK4FXoFZ4sKrpoUWPlq2uaridlSdG57r8ao4n5NYJWkWy1p5WZ/CWL2X3pT"
    "QcxxpBJzu8Wsim1UsU0LRLDtxTZfGDXAccAsqLdJjekXBpGC0SWrbkYzCB6YyTRMxvT+nY"
    "Y0fw5ZGoPC7hlyNLECC8uXnclKGQ5Eu8N8pmHuaDCZgJHxaM5afiEz2hVM452bYaWGekxJ"
    "aw60fkGQKyq9teMrEUwHvdCbz3BqT9lTx4kOz+MKeScJrCpAb5tO3JK8E097y1AdAq0uX1"
    "2QipF6FdILvdOWLcfscCGmeo2McobUdPBH0rcir55LnHk+8sPna7CQR2Za7qmX3G2nzFPG"
    "euyayXp2ZXWu0k/N7CJnkcTR6lSFGapdpMh/neUTOermqz8f6lZNA8pyNNQIo8WKqh6VYl"
    "0p0qtUTeUu2golVqXj1p2OO0aWDB5USTtPQTuTZtRw0vlMAisIII5T7FdM+VeGXFcNOZW8"
    "8PLErJIXVPJCC0TQRPJCpOCHiNXAU31PSwPsHMwpsFMxY6d8KnXawUNg2Jj1Mkxgv6df+O"
    "bUcExr4jQvxb59YkFBvuV6C8zxr7Z1DdcIpIN2ay1BGHlRlWDYH95Bdnd3dtap+NrZya/4"
    "kn0Jy4gSDllvvPnz69Vlbq5OAEkqytjg2n+ahZ1t1KgKyJVkxLTjVJ1MsiQmofbKCd5n6V"
    "JN5hs8/A+mTNRN"
)
