from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `client_events` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `event_id` VARCHAR(40) NOT NULL UNIQUE,
    `type` VARCHAR(40) NOT NULL,
    `user_id` BIGINT NOT NULL,
    `sequence` BIGINT NOT NULL,
    `payout_id` VARCHAR(36),
    `payout_version` INT,
    `created_at` DATETIME(6) NOT NULL,
    `data` LONGTEXT NOT NULL,
    UNIQUE KEY `uid_client_even_user_id_e785fe` (`user_id`, `sequence`),
    UNIQUE KEY `uid_client_even_payout__31f1d4` (`payout_id`, `payout_version`),
    KEY `idx_client_even_created_a1b501` (`created_at`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='The public event log (domain.client_events.ClientEvent): the events of each user numbered';
        CREATE TABLE IF NOT EXISTS `user_event_sequences` (
    `user_id` BIGINT NOT NULL PRIMARY KEY,
    `last_sequence` BIGINT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='The sequence of the last client event of each user: the counter each new event takes the';
        CREATE TABLE IF NOT EXISTS `webhook_delivery_attempts` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `delivery_id` BIGINT NOT NULL,
    `attempted_at` DATETIME(6) NOT NULL,
    `status_code` INT,
    `latency_ms` INT NOT NULL,
    `error` LONGTEXT,
    KEY `idx_webhook_del_deliver_cdc5fb` (`delivery_id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='Each POST of a delivery: when, its status code, how long it took, what failed.';
        CREATE TABLE IF NOT EXISTS `webhook_deliveries` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `endpoint_id` VARCHAR(40) NOT NULL,
    `event_id` VARCHAR(40) NOT NULL,
    `sequence` BIGINT NOT NULL,
    `chain` VARCHAR(40) NOT NULL,
    `chain_position` INT NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `attempts` INT NOT NULL,
    `next_attempt_at` DATETIME(6) NOT NULL,
    `leased_until` DATETIME(6),
    `last_status_code` INT,
    `last_error` LONGTEXT,
    `created_at` DATETIME(6) NOT NULL,
    `finished_at` DATETIME(6),
    UNIQUE KEY `uid_webhook_del_endpoin_a67239` (`endpoint_id`, `event_id`),
    KEY `idx_webhook_del_endpoin_da4ecf` (`endpoint_id`, `chain`, `status`, `chain_position`),
    KEY `idx_webhook_del_status_d0f04a` (`status`, `next_attempt_at`),
    KEY `idx_webhook_del_endpoin_8180f2` (`endpoint_id`, `status`, `id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='One client event to one endpoint, until delivered or given up. `chain`: the payout id';
        CREATE TABLE IF NOT EXISTS `webhook_endpoints` (
    `id` VARCHAR(40) NOT NULL PRIMARY KEY,
    `user_id` BIGINT NOT NULL,
    `url` VARCHAR(2048) NOT NULL,
    `event_types` LONGTEXT NOT NULL,
    `description` VARCHAR(255) NOT NULL,
    `secret` VARCHAR(128) NOT NULL,
    `previous_secret` VARCHAR(128),
    `previous_secret_expires_at` DATETIME(6),
    `state` VARCHAR(16) NOT NULL,
    `failing_since` DATETIME(6),
    `after_sequence` BIGINT NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `updated_at` DATETIME(6) NOT NULL,
    KEY `idx_webhook_end_user_id_4860c8` (`user_id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='The webhook endpoints of users (domain.client_events.WebhookEndpoint).';
        ALTER TABLE `payouts` ADD `version` INT NOT NULL DEFAULT 0;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE `payouts` DROP COLUMN `version`;
        DROP TABLE IF EXISTS `client_events`;
        DROP TABLE IF EXISTS `webhook_deliveries`;
        DROP TABLE IF EXISTS `webhook_endpoints`;
        DROP TABLE IF EXISTS `webhook_delivery_attempts`;
        DROP TABLE IF EXISTS `user_event_sequences`;"""


MODELS_STATE = (
    "eJztXW1z2zYS/isYfbJnFI/jOE3O/eSkbuurY2cS59pp3KEhEpJwpgAWJK1oevnvtwBJ8Z"
    "0maVGmaHxpIxIL0s+CwO6Dxe4/owW3iO0enJom95l3QawZEWfME6vRCfpnxPCCwD8qWo3R"
    "CDtO3EZe8PDEVmI4aG/YSsAgIEGJaoInriew6UGrKbZdApcs4pqCOh7lTMpeMYJsCv/hU4"
    "SRxX3o84XsYYUc7nqUzdCexReYsoPwMe7+ATp1HMKsF5zZqxMk+NJFWBBEmUuER6yxfLTF"
    "TXg2yHf2lBvGyD0RyHcsDL8RFwigIfBPEF33S13kLbl6uouW1Jsjb06QC4hHTQxqjRGHl7"
    "PIhHoIM0v+umGmIBb8hldeS+CFfLcfUfiS6PLLxYV6AjRwBL+nFryPaRMs//B1K+jh1vSF"
    "IMxc3R5IcHxG//aJ4fEZAVEBEH39Cy5TZpFvoLnwp3NnTCmxrdQYoZbsQF03vJWjrr2js3"
    "Pm/azaSugnhsltf8Hi9s7Km3O2FqDMk1dnhBEhsYNrnvDl8GC+bYfjKhoxwcvGTYK3TMhY"
    "ZIp9Ww4yKR28QHxtZBiXV9fG57NrwxjlBmAkkRgt4SWTMzl44VVdBcBMvsKLfx0dvXr15u"
    "jw1Q9vXx+/efP67eFbaKveN3/rzffgZWK0gq4UZue/nF9eyxfi8IUEH5K88F3JYA8HUkoZ"
    "MfrxkMlr4f0ci2IdpKUyuoA/MquLCPkqZUQXnkgbC/wN5hs28+bw89UPFUD/5/TT+19PP+"
    "29+mE/jfZleOdI3ZK4xzhHn0sTlJMyXWEcz6JbB/ltDYzflkL8NouwRQUx1Rs1gDglNECM"
    "64zj8mGcG8V38Ec1gTdqP0BkX9aB9mU5ti9z4AZrsbGgjItmS2JW8uHFcRfg3uL6mFgP8Y"
    "r7XtPlMCnUaqyHS91zWQwFkVAY2Muj/BPc8eiClCyJKckM1FYoehD9YwdHfQXU1+cfzj5f"
    "n374KLtfuO7ftsLr9PpM3jlSV1eZq7nJfd0J+v38+lckf6I/ry7PFJxg1c2EemLc7vrPkX"
    "wn7HvcYHxpYCuJSXQ5upSe0EI3rqmFn5ZrNZk9/D0NdC6Tbtb0rtDUD2HN6+JnLgidsd/I"
    "SunjHF4dM5MUgB/681/AYT2Ne9stXXyPhlt0NX5FgZdrBzUzCgGEwBeXtz7Bp/Hp/D3gLe"
    "GeYPNuiYVlpHCXd/gRz1xZt83fWhwtslcwwzMFkPxL5HtHfIpDQVmjIqYluDOuZFccatyR"
    "VT0+pRxW7fL3eBoYV7j8oHtjjt15I0M+IbMZY/5pFZF2ko7reEnH5W7ScdbAcQSZ0m+NTM"
    "i1hPaVavhK8HcTuwm+a4HtwTsabQXco9eva6ALrUrhVfe0hf4MLXRB7vldKzWnJTeg5n5a"
    "iYPQsg/memMnLCGk6aRNuWAS1A35XzuogrqeV2Lo9cvt8i3qXfDZqMjxiu6NK10v2cqw+a"
    "zBZrbgS+TIXViAzV8QCwX7yojcE+YdFO5MPyyinbceTyDjCudtQVwXRmdDgjotpR24Bx04"
    "9aUY6lcDmNNSA3TkNg80noGlMwM8ApwagJ2XHCDgr47q7L0cle+9HJUD3mwKycoNL+ijAx"
    "oIr2yOC2C+Jt9KVsuEyCCGc5UfdfbHdcqFiqDc+3D6x37Kjbq4uvwlap6A/v3F1bsM5ILA"
    "n+023cBNS3W0g/uUBNxRnWAbaFVOwR3lAm64qQKU2rAHGVHNEvWaPxDE5MJqSROlRLWie6"
    "foHFvxNL71e5uC7XwmDehP6u1yHnamxbjKzzZVW0PZ4zVd7WsZ8exPbGoGbjICL30dw53q"
    "L/km+ycqVDq4IeOiCTbnSBIY8AcuJgTmuJyH3tmTbtjLMToao1dhyDearNCtK5c2ZpLbH9"
    "Gt9Cpv1+HdKmgJ4eDX6cdz5M75klhIhox74W3jnggXECojDb4myZroUSPQ9NdMUFSqt9Ff"
    "mmzYBbIh8GebmVJJmcERDceHNcyo48NSK0reShtRTb3eAfu6mwdXb3w8WRztei1ohH1SSo"
    "M/vCDmp2TSNh7FnLFpclCXjvK84IBiXI9eHr85fvvqh+P1CF9fqRrY+UG8WyEo27RJdt3l"
    "TJ3aAtuzCT8atR+E/bMNcrQn/v25RRYO9+RxxpLQ5UyLcZV/T+O2HYUyf13HakD/2l/tk5"
    "1TGdncxOIJmw9iKtlCTOgUnk+EI2jRGZJylDNiA0R78xuHsMA68ERiuB72fLeBbVkgOSRH"
    "amPW5RqnCbcKJo1yAyQnOIgBve1t2ifyUPsGuz5o28sRv2tOFPnmUOiuhZrTktpV7rOWNZ"
    "utw/j7oIJdD+O/8r0J//YhCIkeFTAR6QbjKiKCq6ZGGF9dM9TgNBWPj5aYqsRuHkeTMDLA"
    "nRPrR0RlCjiZgI26aCmoR4Kf+Zj/TXT48ImAr6PYp8D3mKrxGa4coOa/NCnSS1JEnxjYiq"
    "mtTwzoEwN9AFyfGNjlwa1PDGydipoTDDZQAcdaDnlCREPeAvIyVrt8Lills7vM3yGTNUvY"
    "tjKXdJBP0vPIwvGa7B4kRbZHFxx2a39vbM/Axq5nECGK0nOWTxZpqSEEVm17usg6m00Izq"
    "ysZrJ7zXGaNgYlWMakWaLslNQQPrGu7cwIMZ95tCCP1gN7Q1lhnf6n19+U3gR8Dmpe87wt"
    "FJ2V1R903zTdkzDOjyoEY1SwaRLeGVftlgQBHJ1Ga4IZTgTDtiHIlIjgNGJuHyNqnJ7f5B"
    "6GPLgY+5omXziq/k7bXY5yk0Xz6pW8evl2hq6S0IMDRrqaTW7kb7iazRLbMPM0wTeWGCC6"
    "nQQ0F6wVDfAulh4g9p0kj9kNCnh7GG+c/Y2q9xntQm0LpTfCrPTIWulkZK+haz7EC0SHR2"
    "ZtfoPaJUxa6I13O3JyestDb3n0Y8uDAbZgWHhi1YLNyQlrOqdvdE7KmcqwDI0Y2oys1nSf"
    "NZ1Z39sQtYU9aK33WeuMEMuF+fiekmUBY8W5TTArm8nTohlFT0B2MxZKzgZfa3u7yn13dX"
    "WR0uu78+xq+eXDuzMwypVCoRH1SjiqADUAD7tF2VmqTnhmBLUB0yYPrwLRpYWsyoO1ZVKy"
    "enrr8/Q2xdT2BQH9WY34s6zcEL6yrj3dCLNFfDapKdwJ0eEh3glNDJ6UL1jL9McpUT2R9X"
    "kia57I7bEZ3AZNHe1W2JE+lN7yULpjtdRyWlIHl/VbzTr3gM490AMVbCP3QJ0TNO9CyZ9/"
    "+0Rs7BUbAanIuM+EWadBfwPC/Xv3wYZJ4ErjDjPoPhSCaOS2/urVYjSxbcu0Cqp+QkjFoi"
    "kXCIf1Ek4Qd0CzFtqDyRc0IOsvqENkt/toQqAlUbKynzEybe4W1Ifo6kE3bEm9OaKeizBz"
    "l0QcoFuf3cGUz26D4hKyC3iO63HHga4T/QQC0B0syaNxSQymE4eAhqrQeTN7s6SMUUVMZf"
    "zlNDsoOLSlfZPpBeX75QCtKkEWSejwphrhTXPPc5pnx8xI6bTr+ZGrwjYap9ZISw2PWNw8"
    "lRsgVkrklm9P5QSHgPa2t6d6Gx3Zq1HfVeSvaMcYpSU1Y9RrxmhKWdvTiBlRvWvSZz3rTM"
    "6dHYOrYAFjV/uRPGB8bHPHAK/LBKaGWq/ykH4U3AQrjlgVqUhzbcaV5FbUumFCUlmRVALp"
    "L2RuUDbh304QRmEfMmsojm/PsYvgDWxKrLFKIuoRhtbEEplOienlM5R28oRCEirqRs2UcR"
    "JLzUTtBBOV1F7tg6UJmQGuJZtP/tKfjLADBzqej1tFeqdkdRhE36zgvqTkCMmIU9+ixTtk"
    "qQYPGRABsYFl2wYbY7eBmfXCJeKemok9K9XRLRI+O0FzvkTwZ6zCLSxXVhqXB1iwIFawwC"
    "e3uwr3xTp4zg2T1dKlaWFRmOAEIQtVYn2yQnfwYaA9jP79+eoS8cl/wfDYH6ttuGQHRlpu"
    "hv1Z6SaZtkJ2wQrRFNVgJ+3eUlRa0R2esJwT844UTKml82lCQu9vF+wS+iyICGkEalpI41"
    "qAa8qUaLIrmBMchIO2jW3Bnpnxv5PJnPO795xNbWpWGvTZpvVM+2UgJZlTJVa7aFFYaABs"
    "X+whLAS9B3PaVxFjOCw9ZFBLmcaK4UPYFgRbK7DHAYDA8MaMS1M46uskZ+R385gbdkccLw"
    "igYzJyDr4BLsaIQXciIhvLOcXooeq7Cro05tida1ZxN+z5pP5qR7QkdT6EuXQbqY909ZKt"
    "B7Ikp6MGwzsrNwjwuy/LbRK5HLU6CZoS1Q5j7xzGftqBZ3IZqmEEBu2aWYBqiWuwRRzKRf"
    "u3BJvzmIANSk9yZhK0tzbSgrG5P0bYRdEXAD+YhZbz4EPI7RJv+iE3TJp3K1kPk3rIotYB"
    "Sm6tyFKYl18uLpAqZiCtw8CodLC73oUGQc3navvvsYvjs0l82f+Y2oEh3yp/8ePTFvcsql"
    "JnLd79Yz3cVGni21jYGVFtYffOwtZZo54oDEnTMpqWGfD41rTMM1k0ehZP2S8/Y0iK1sfn"
    "Oz59/ESntvr1xXRTuiwRzEE8XFRdtSKKYy0xBLv2GUVvqHRaBSx9lGarnJWXmao6qIioie"
    "ldIKbV/xvMwFH7Aa5xnaTu3a0cpL2ZnHfBXGww8ScSXTnUuCOrRyb0O3Xob2S1uzrPZ/Eb"
    "p1YEsnC4J0t1bgCr87i3AWOWKGzcHqrBHcVPQYRNU5bffSRG0p46DXoaElBdm6YRZCUWag"
    "LRakPVSGqxqxLe60LBOrp2J4xYXQw6Z8xuuBj0BNsyi0ubouc50cEUKthyyfO5FGyhgLSc"
    "Rr8d+tqRe8io2FlHTleTeH5q1tUktjmR5qgSXU3iKapJEAZvQx7LPQUO2AWxZkScQY91OJ"
    "V+7gtt3w1WhyQ+EwBBjuYSZzjdaPygSxwEiruhQIPjFJEI4lN1mlVWTUemTeURh/CgwzQ4"
    "/yCfE1RoUMqXByHkZUaWYUMP3xFXNhhlFNDZg26YrDIOIC8msjKF4ItxeEjXm1MXCb5ENj"
    "fvxsgNilgEZ03kg7B6CsKChNJhUh7ue3Bvhp2DG3bqYOGpXlVj92Rd9wJRBhe88LAvRu5c"
    "ZfWRz0KcqTQ+SkK9wZ588jSYzNAdWe2Pg2Q/3pIj14c/DLTEXFAUaAXknJnAVnhQxOMq9S"
    "BJgbHkvm0hi2BLPu+xZ0L6sQpqAmMkv4f1B9xMHTlRbZo8zjR5mu378BDdT8Sm90SsKsoN"
    "lbSsXCai83ZWKNSw8NCZnII/Xn2+DmbPqJcTtJwTNlZTXnDKAMmg6LFKf2bzaBrjMAfLc3"
    "BIRk6HSQ5SK8Tmu9fhCD3+4qomwvUAbaqGjGBXk+BQNZKrxNSKAsnKahKk1yRIMKmWHIAp"
    "/dIyUrqCUf4bAhdaBS8smlSGSgsNyYrbbGWoPKQPVCpqvcPXs1H6jIJZMzbuJzWBPWQJy1"
    "ZNrGBalypR5TCTZAW45hyuEWY5HLQzDlM3hP0SC3GBZvBPBh79Abo156DDsMBlxCGUFN3c"
    "9FNu2J7MMhamHVtTLYyHTcYxNQKt9wPpGB/ZVr6D6lu+kOwkfB80g/fzvRsmG8hEaUgu6W"
    "Cus6C5AcsVlRDCe1pEVOQ2CzsMTbd12oNs8EWupXqM/Ed8xDn95BH08DVxVxJGkesjTRR1"
    "O9Np3Dp6Be0m9M5NyOisbsxHRmyAYR/HhzXiPo4PSwM/5K3MmtuLzCUDB7kd9adZv81Edk"
    "TLSO3QsUhAj+0aYzuzJNd3iPKCQxrkG3OKdEaYjjPCJLnymkM3KTKYgLuNjdisGZ7DtZpl"
    "LBDXRGOviUabYJn2QPmvTbWdldW1WHutabUb3YpXLhLV5HIRuQw4NWZC01KaDm2eUEkHgD"
    "+LGaxXJZl26JPbBT33a3fjLGQjq3c3kq3GdXY3IpKzRVrttajk/YMgxj2LL0D/B8HORJiw"
    "O/tu+8XlljfT7YZjecrd4oFmWt4Uo1POxvcjjPQ5Buv4osCfKh/hYfMBsj5Hh8d1TrzKZu"
    "XZW9TNot2PoLMG1nZGbBCAb9veTr5mgzGeERsE9FvIU+QS8FIa5TuMJQaIcUflCcg95b5r"
    "NAe7QHQIPvz2QTfIN4eCG9Eqf2tVT9rb65u3l90ka5Tnbi0wxMlt41tk8ugFPN9waWEQww"
    "O0SVZYf0p9/pTw1APPrV3ESl52SFv6OiNJXxQypO9NZyQZrJp7wkefEkHN+aiAgw7vjKt4"
    "Zxy36U3+6OcShv3ITeVySveeCLch8ZIQGaDN3AnpIj+qBgiHzQeI7svDOpsU0KrcJznMB5"
    "5y5oUladMI//vz1WWJYRSLZJdLanrof8im7i4aqBXgSjCqudssTZtZ/GQHT3507Pv/Aa/D"
    "hwk="
)
