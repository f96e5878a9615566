from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `provider_audits` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `started_at` DATETIME(6) NOT NULL,
    `finished_at` DATETIME(6) NOT NULL,
    `checked` INT NOT NULL,
    `unanswered` INT NOT NULL,
    `disagreements` LONGTEXT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='One `payout-service provider audit` run: how many payouts it compared with the provider';
        ALTER TABLE `payouts` ADD `review_since` DATETIME(6);
        ALTER TABLE `payouts` ADD `review_reason` LONGTEXT;
        ALTER TABLE `provider_webhook_events` RENAME COLUMN `external_reference` TO `reference`;
        ALTER TABLE `payouts` ADD INDEX `idx_payouts_created_7d8f0c` (`created_at`);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE `payouts` DROP INDEX `idx_payouts_created_7d8f0c`;
        ALTER TABLE `payouts` DROP COLUMN `review_since`;
        ALTER TABLE `payouts` DROP COLUMN `review_reason`;
        ALTER TABLE `provider_webhook_events` RENAME COLUMN `reference` TO `external_reference`;
        DROP TABLE IF EXISTS `provider_audits`;"""


MODELS_STATE = (
    "eJztXVtz2zYW/isYPSUziseRncR1n5Ss03rj2JnE2XaaZGiIhCSsKIAFIcuabv77AiAp3m"
    "mRFmWIxksbkfhA+jsgcG44+Kc3pw5y/YOhbdMF4RfImSB2Rjhb9U7BPz0C50j8o6JVH/Sg"
    "58Vt5AUOR66CwaC95SqAhQQCI9UEjnzOoM1FqzF0fSQuOci3GfY4pkRirwgCLhb/oWMAgU"
    "MXos8XsocV8KjPMZmAZw6dQ0wOwsf4zw/A0PMQcV5Q4q5OAaNLH0CGACY+Yhw5ffloh9ri"
    "2QLf2lO+E4JuEQMLz4HiN6AMCGqQ+KeArvvFPuBLqp7ugyXmU8CnCPiC8aiJhZ0+oOLlHD"
    "TCHEDiyF/fic2QI36LV14j4Fy+268gfElw+fXiQj1BNPAYvcWOeB/bRVD+4etWoocbe8EY"
    "Ivbq5kCSsyD47wWyOJ0gAWWCom8/xGVMHHQnJBf+9GbWGCPXSY0R7MgO1HWLrzx17S2enB"
    "P+XrWV1I8sm7qLOYnbeys+pWQNwITLqxNEEJPciWucLeTwIAvXDcdVNGKCl42bBG+ZwDho"
    "DBeuHGQSHbxAfK1nWZdX19aXs2vL6uUGYIRIjJbwkk2JHLziVX1FwES+wotfBoOjozeDw6"
    "PXJ6+O37x5dXJ4Itqq983fevMzeJmYraArxdn5b+eX1/KFqPhCgg9JXvipMJDDAKWEEbMf"
    "D5m8FN5NISuWQRqVkYX4I7OyiJivEkZ04ZGkMYd3Yr4hEz4VP49eVxD9n+Hnd78PPz87ev"
    "08zfZleGegbkneY56jz6UOy0lMWxzHs+jOST7ZgOOTUopPsgw7mCFbvVENilOgDnK8yTgu"
    "H8a5UTwTf1QdeqP2HWT25SbUvizn9mWO3GAttuaYUFZvScwi718c94HuHa6PifUQruiC11"
    "0Ok6BGYz1c6p7KYsiQpMKCPM/yv8QdjueoZElMITNUOyH0IPrHHo76Cqqvzz+efbkefvwk"
    "u5/7/t+u4mt4fSbvDNTVVeZqbnJfdwL+OL/+Hcif4K+ryzNFp9DqJkw9MW53/VdPvhNccG"
    "oRurSgk+QkuhxdSk9ooRlXV8NP4xpNZvd/Tx2dy6SZNZ4VqvohrXlZvKcM4Qn5gFZKHufi"
    "1SGxUQH5oT3/VRisw7i3/ZLFz2i4RVfjV2RwuTZQM6NQkBDY4vLWZ/FpfD5/J/iWdI+gPV"
    "tC5lgp3uUdOqCZK+u2+VvzwTx7BRI4UQTJv0S+d+RP8bAQVq/I0xLc6Vd6VzxszdBqM39K"
    "Oa3G5Nd4GuhXmPxC9tYU+tNainwCsx1l/nEFkTaSjjexko7LzaTjrILjMTTGd7VUyDXC2E"
    "ob2Eri70ZuHX7XgN3R2+vthNzBq1cbsCtaldKr7hkN/Qlq6Azd0lkjMaeRWxCznlpiJ6S8"
    "EOp6bSMsATLupG2ZYJLULdlfeyiCTS2vxNDTy+xaOJhf0EmvyPCK7vUrTS/ZynLppEYwm9"
    "El8GQUVtC2mCMHBHFlgG4R4QeFken7IcZ403gC6VcYb3Pk+2J01nRQp1HGgLvXgFNfiqV+"
    "1aA5jeqgIbd9ouFEaDoTwUfAUw2y88gOEn402CT2MiiPvQzKCa83hWRx3Uv6aMENBFcuhQ"
    "U0X6O7ktUyAenEcK6yo87+vE6ZUBGVzz4O/3yeMqMuri5/i5onqH93cfU2QzlD4s/26wZw"
    "06iWIriP6YAbbJJsI1qVu+AGuYQbaqsEpSbegwzUeIm09h8wZFPmNHQTpaBG0NoJOueteB"
    "zb+txBc49yme5YEtrMtOhX2dk4bttSqPPb2pcj+u/9MMbzPhjPM1Qr/zZs3gk9bAcxo7F4"
    "PmIew0U5JuUsZ2AdZHv7hoWY8z3xRGT5HPKFn6e7dEIpQHbJvT94efzm+OTo9fF6XllfqZ"
    "pO8nmga55G1CmYNMoNuBywEwN612bcI6Xh6ka7ScTVcsTvg16f8mbfeVh010DMaeRuxLxL"
    "vbRLUjZhfhPm10EE+x7mv1rwEb37GIRMewWeiHSDfpUjgqqmVhh/3TDqP0zF68ESYrXxm1"
    "MwQsBbjFzsT5HzK8Byi7jcoI19sGSYo+BnPidgGx3enzHwrRfbFPAWYjU+w5VDiPmHcYpo"
    "6RQxGQU7UbVNRoHJKNCBcJNRsM+D22QU7NwVNUVQ6EAFPtZyyhMQQ3kDysu82uVzSak3u8"
    "39PbKYk6RtJ3NJC/UmOEdzj9eJHiQhu3MXHLarf28tZuBCn1uIsaLyHeWTRRrVhdyjXU8X"
    "WWOzjoMzizWebK19nLYLhRAca1SvkFYK1YVPrG09M2JsQTgu2Gd7T2woCzbbA7X+pkwQ8C"
    "mIee3nbSDoLNZ80LpJWpM0zk8qBaNXEDQJ7/SroiVBAker2ZpCDUeMQNdiaIxkdU2US96M"
    "G6fnt9oxjHKFxHjNK73m5cEKUyNRgxqJppZt27Vsl9B1Ua0s2hjRQXZbSVcuWAlq8F2M7i"
    "D3rWwd09HB+3jL5vZdu1HpfqtZHm0heituE42UlVYG9pq6+iO8ANo9T9X2o88+IlJBrx3K"
    "yOFMPMPEM/SIZxDBrdArOFs1cNXkwMZXo5uvJmVL0bmnjvhp4n7NYI2kdZZ0Zn1v4oUt7M"
    "FIXWepE4QcX8zHtxgtCxxWlLoIkrKZPA3NCHoksC1ZPmtp71a4b6+uLlJyfXueXS2/fnx7"
    "JpRyJVDRCPMSF1XAmiAP+kUHAlVt38wAjQLTpAiPItHHhU6VewvLprBmetN5etuv2LHZWd"
    "hwZ2FwIGUDKaeRJkNAbzGbDaRmA6kGItjFBtJN0qDfhsj3Hz4jF5acEplKb/iCiDMM+usQ"
    "7z/bzxhJEleaPJJh9748Eivn4t2s4LYNXVfujU2dgTymDEAQdHwKqCck64BnYvIVEgA3fr"
    "AT4OY5GCHREims7KcPbJf6KJg2s2W623jQd6KOhMbcB5D4S8QOwM2CzMSUT25Og3OfRRfi"
    "OT6nnie6TvQTAER3Yknu9UsSabw4jycUhSl+ps2S0gcVqTPxl1Nvt0fXlvZt1oiS75cjtK"
    "rObIToYqbA1sPYU869+iXOMqgOnR+5tZGrwnO190enUV1wjLUdnA4Ym8eVQjZ1Q+aAXWB7"
    "50XkdM2C0WrUt5XgxZp5jNJI4zHS2mM0xqTplpIM1Lj5dZazKcfZ2m6HCi9gbGo/0A8Y77"
    "3ZM8I39QSmhppWxeQ+MWoLLQ45FfXkcm36lc6tqHXNqnLX0lMUHAjHACYjencKIAj7kKXf"
    "YHx7Cn0g3sDFyOmrSnAcEbB2LKHxGNkFR8+18oRCJ1TUjZop40pkxhO1F56opPQ23j+UwH"
    "RwLdn+Dn59yvp1nOh4Pm6U0ZfCmjQI3bRgXfZVh84IdcxsiQ6RaHCfAhE4NtRptDUCYzeB"
    "mvXCR+wW24mYleroBrAFOQVTugTiz1iFISxfrOdAJipDhpxggU+GuwrjYi085zuBxFGqhY"
    "PFBMcQmiMxQsFoBWbiwwDPIPj3l6tLQEf/FYrH874KwyU7sNK4CVxMSoNkRgvZBy3EuKg6"
    "O2lr66Iygm4xFXWK7BkqmFJL59MEwsS3C6KECxJkhNQiNQ0yvBbwmlIl6kQFc8BOGGi7CA"
    "tqpsb/gUZTSmfvKBm72K5U6LNNN1PtlwFKek4VbOOTJ8Jq0UL3hRxAxvCtUKcXKmMMhudH"
    "WNhRqrHy8AHoMgSdldDHBQGB4g0Jlapw1NdpTslv5zHfyQx5PEigIzJzTnwDlPUBEd2xyN"
    "lY7lOMHqq+q6BLawr9qfEq7oc+n5TfxhktSZl3YS7dRYkLU4J+54ksyemoxvDO4jpBfvtn"
    "q9pILkfNTjtPQo3BqJ3BqKceeCaXoQ2UwKBdPQ1QLXE1QsQhLorfImhPYwdscH4YJTYCz9"
    "ZKWjA2n/cB9EH0BYgfxAHLafAh5KLE237IdyLVu5U81Axz4GDnACRDK/I8s8uvFxdAVaSW"
    "2mGgVHrQX0ehBdD4c43+99DF8ckUONM/p7ZjzDcqU/nw6pSaZVU+0eKUndrWQ21VDbiJhp"
    "2BGg1bOw3buAqMq0AX8o2rQNORv3cTmV45fnrpvl0StNnS3fKO2EfaSaTXF9P2WeMO4rDo"
    "2LaKzII1ogtG4hPKKFAlngo8x1Hpp3JPsaye1MJRS8ZZug/OUvX/GjNw1L6Da1wrh8vsV1"
    "1MbSbnfVAXa0z8ieJLHrZmaPXAInNDD39Aq/2Veb6yXD+1IqC5R7k8JWwLXJ3HvXWYs8SJ"
    "ic2p6tz28BRF0LblyX8P5EjqU8Ogpy4R1bZqGlFWoqEmGK1WVK2kFNs6G3R9RqHJ+NwLJd"
    "acQ5lTZrd8DuUIurKySJPzVnPQzpyvtePTVqcS2EAAaZxhvxn7xpC7T6nYW0POnHDw9MRs"
    "TjjY5USac5WYEw4e44QDRMTboIf6ngID7AI5E8TORI+b+FT0jAvt1gweIobtaa/AAg7v9K"
    "uMXxi30SZM81TM2wdu+C43XG8R83HRuXTldmsC0kGztZUYjPyoajAcNu8guy8PDzdJ4T08"
    "LM/hlfcyhhElPNyNlGZY1lEqsYhiSFZPxjYH/wMu9vdRoaogV5KRUo5z6QbZzIKM1is7eP"
    "R0g5//B8OjVh4="
)
