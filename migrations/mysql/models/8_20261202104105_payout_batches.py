from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `payout_batches` (
    `id` VARCHAR(36) NOT NULL PRIMARY KEY,
    `user_id` BIGINT NOT NULL,
    `mode` VARCHAR(16) NOT NULL,
    `status` VARCHAR(20) NOT NULL,
    `item_count` INT NOT NULL,
    `totals` LONGTEXT NOT NULL,
    `succeeded` INT NOT NULL,
    `failed` INT NOT NULL,
    `cancelled` INT NOT NULL,
    `returned` INT NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `updated_at` DATETIME(6) NOT NULL,
    `completed_at` DATETIME(6),
    KEY `idx_payout_batc_user_id_22ffc8` (`user_id`, `created_at`, `id`)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='A payout batch (domain.payout_batch.PayoutBatch). Its items are the payouts of its id;';
        ALTER TABLE `payouts` ADD `metadata` LONGTEXT;
        ALTER TABLE `payouts` ADD `batch_id` VARCHAR(36);
        ALTER TABLE `payouts` ADD INDEX `idx_payouts_batch_i_341509` (`batch_id`, `status`);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE `payouts` DROP INDEX `idx_payouts_batch_i_341509`;
        ALTER TABLE `payouts` DROP COLUMN `metadata`;
        ALTER TABLE `payouts` DROP COLUMN `batch_id`;
        DROP TABLE IF EXISTS `payout_batches`;"""


MODELS_STATE = (
    "eJztXV1z2ziy/SsoPcVVGpejeCZZz5OT9ex6x7FTiefu1sZTNETCEq4pgEtSllV7899vA/"
    "z+NCGLMgXjZSYi0SB9GgS6Dxrd/x0tuEPc4PDUtvmShRfEmRH/jIX+enSC/jtieEHgHy2t"
    "xmiEPS9rIy6EeOpKMRy1t1wpYBGQoEQ2wdMg9LEdQqs77AYELjkksH3qhZQzIXvFCHIp/I"
    "ffIYwcvoQ+fxI9rJHHg5CyGXrj8AWm7DB+THBwiE49jzDnJ87c9Qny+SpA2CeIsoD4IXHG"
    "4tEOt+HZIN/bU24YIw/ER0vPwfAbcR8BNAT+CaJpvzRA4YrLpwdoRcM5CucEBYB40sSizh"
    "hxeDmHTGmIMHPErxtm+8SB3/DKqQReiHf7FcUviS7/uLiQT4AGns8fqAPvY7sEiz88bQU9"
    "3NpL3yfMXt8eCnCWjP5nSayQzwiI+gDR9z/hMmUOeQTNxT+9e+uOEtcpjBHqiA7kdStce/"
    "LaRzo7Z+Fvsq2AfmrZ3F0uWNbeW4dzzlIBykJxdUYY8QV2cC30l2J4sKXrxuMqGTHRy2ZN"
    "orfMyTjkDi9dMciEdPQC2bWRZV1eXVvfzq4ta1QZgIlEbrTEl2zOxOCFVw0kADPxCj/9ZT"
    "J59+795OjdLx9+Pn7//ucPRx+grXzf6q33P6KXydCKupKYnf/t/PJavBCHLyT6kMSFH1IG"
    "hziSksrI0M+GTFULn+bYr9dBUaqkC/gjy7pIkG9TRnLhhbSxwI8w37BZOIef735pAfp/Tr"
    "9++vvp1zfvfjkoon0Z35nIWwL3DOfkc1FBOS/TF8bZLLpzkD90wPhDI8Qfygg71Ce2fCMF"
    "iAtCGmLcZRw3D+PKKL6HP0oF3qS9hsi+7QLt22Zs31bAjdZia0EZ99WWxLLk04vjPsC9w/"
    "Uxtx7iNV+GqsthXmijsR4vda9lMfSJgMLCYRXlv8KdkC5Iw5JYkCxB7cSih8k/9nDUt0B9"
    "ff757Nv16ecvovtFEPzHlXidXp+JOxN5dV26Wpnc007QP8+v/47ET/Tvq8szCSdYdTNfPj"
    "Frd/3vkXgnvAy5xfjKwk4ek+Rycqk4ocVunKqFX5TbaDJ7+nvSdC4Tbtbdfa2pH8Na1cVv"
    "3Cd0xn4na6mPc3h1zGxSA37sz/8BDutp1tt+6eJHMtySq9kr+niVOqilUQggRL64uPUVPo"
    "2v558AbwH3FNv3K+w7VgF3cYdPeOlK2rZ6azFZlK9ghmcSIPGXiPdO+BSPgrJGdUxLdGfc"
    "yq541Lon6258SjOsxuUf8DQwbnH5QffWHAdzJUM+J7MdY/5lFVF0ko67eEnHzW7ScdnA8X"
    "xyRx+VTMhUwvhKHXwl+LuJq4JvKrA7eEejnYA7+fnnDuhCq0Z45T1job9CC90nD/x+IzUX"
    "Jbeg5mFaiVpoeQnmurITlhMydNK2XDAB6pb8rz1UQVfPKzf0huV2LR0aXvDZqM7xSu6NW1"
    "0v0cpy+UxhM9vnK+SJXViAbbkgDor2lRF5ICw8rN2ZflrEOG8DnkDGLc7bggQBjE5Fgroo"
    "ZRy4Jx04+aVY8pcCzEUpDR257QONZ2DpzACPCCcFsKuSGgL+btJl72XSvPcyaQZcbQopy+"
    "kX9NEDDYTXLsc1MF+Tx4bVMieixXBu86PO/nVdcKESKN98Pv3XQcGNuri6/FvSPAf9p4ur"
    "jyXIfQJ/dqC6gVuU6mkH9yUJuEmXYBto1UzBTSoBN9yWAUqbsAclUcMSDZo/8InNfWdDmq"
    "ggahQ9OEVX2IqX8a0/uRRs5zNhQH+Vb1fxsEstxm1+ti3bWtIe7+hqX4uI5+XUpXbkJiPw"
    "0tMY7kJ/+Tc5OJGh0tENERdNsD1HgsCAP3AxJTDHVTz03p50w96O0WSM3sUh32i6RreBWN"
    "qYTW5/RbfCq7xNw7tl0BLC0a/TL+comPMVcZAIGQ/j29YD8QNAqIk0+J4na5JHjUDT30tB"
    "UYXeRn8asmEfyIbIn1UzpfIy2hENx0cdzKjjo0YrStwqGlGqXq/Gvu72wTUbHy8WR5uuBU"
    "rY56UM+PoFMb8kk7b1KOaSTVOBunGUVwU1inGdvD1+f/zh3S/H6QhPr7QN7Oog3q8QlF3a"
    "JPvuchZObYHtqcKPJu21sH92QY4OxL8/d8jC46E4ztgQulxqMW7z72nWtqdQ5u9prAb0b/"
    "zVIdk5rZHNKhZP3FyLqWQHMaF38Hziez6tO0PSjHJJTEO0t79xCAusB08kVhDicBko2JY1"
    "kjo5UluzLlOcptypmTSaDZCKoBYDetfbtC/koQ4NdnPQdpAjft+cKPLoUehuAzUXJY2rPG"
    "QtGzbbhPEPQQX7HsZ/tQyn/PFzFBI9qmEiig3GbUQEl02tOL66Y6jBaSEeH60wlYndQo6m"
    "cWRAMCfOr4iKFHAiARsN0MqnIYl+VmP+t9Hh0ycCvo8ynwI/YCrHZ7xygJr/NKTIIEkRc2"
    "JgJ6a2OTFgTgwMAXBzYmCfB7c5MbBzKmpOMNhANRxrM+Q5EQP5BpA3sdrNc0kjm91n/g6R"
    "rFnAtpO5pId8kmFIFl6osnuQF9kdXXDUr/29tT0DFwehRXy/Lj1n82RRlNIhsGrX00XZ2V"
    "QhOMuyhskeNMdpuxiU4FhTtUTZBSkdPrG+7cwEsSULaU0erSf2hsrCJv3PoL8pswn4GtSc"
    "8rwbKLosaz7ooWl6IGGcX2QIxqhm0yS+M27bLYkCOHqN1gQznPgMu5ZP7ogfnUas7GMkjY"
    "vzm9jDEAcXM1/T5gtP1t8ptZji0J4nhx6j1mq7H82mjOHbW/n25m0OUz1hAAePTJWbysjf"
    "cpWbFXZhRlLBN5PQEN1eAp1r1hAFvOulNcS+l6Qy+0EN7w7jrbPCSVU/a7MQ3FrprTAuA7"
    "JWehnZKXTqQ7xGVD+Sa/sb1wFhwnJX3gWpyJmtELMVMoytEAbYgmER+usNWJ6KsKF5hkbz"
    "FJypEvugxNyWZI2mh6zp0vq+CYFb24PR+pC1zghxApiPHyhZ1TBWnLsEs6aZvChaUvQUZL"
    "djoVRs8FTbu1Xux6uri4JeP56XV8s/Pn88A6NcKhQa0bCBo4pQA/BwUJe1pe3kZ0nQGDCb"
    "5OeVIAa0llV5suZMQdZMb0Oe3u4wdZc+Af05SvxZWU6Hr6xvTzfBbJGdWVKFOyeqH+K90M"
    "TgSS19tmFa5IKomciGPJGpJ3h7bmY3ramj/OZ510kqL6Pf7LT9w2gLEmLVzGp5GR0w3rVl"
    "u19hdiYJw4ZJGDxnQy0XJU0w5bDVbHJtmFwbA1DBLnJtdDkx9jGW/O33r8TFYb1xW4gE/U"
    "aYcxr1pxHuP/oPrv0obN2GGiilFuOng20taTp3z0wSVwWRUmlRknxX+Xc4OETnYYAoaDlA"
    "2Ce5uiKyRAkVN51fRyXIe3rMDRPXbRHMCf6XLJECg8eJ5Rb8gaAlE9lPwjkNZI1Ul9v3Yx"
    "Tie8KQ2JtGlCEMesYsAJhayp7URhTH3181qNiEBr9saLBZzF8sIHihSP4unkP6Dg7ynkP5"
    "TKxkkeTtUj9m0lw/ZlKpHyNWDksuKArkX1FIp7ljaxRgyEPsKmXcyCS0GLg7T7ixtG1CwB"
    "hSGMcFGUNjl8ew2DdTwjMTMGBWzg0J591Vw7MgYyCthrlEW4wKiOZFDKD7XY9oMMvZ3jG/"
    "huB/DWo2wdU6a3pQ2RLyTHgjp1uiy5+kdStnlJ4md68YQTZ2XZEXWjKoccw4uuM+wjGheo"
    "K4B0PVQW9ABTCmRAFpmQXv9gBNCbSM2FfRzxjZLg9ItcB1Xw+6YSsaziXdi1mwIv4hul2y"
    "e1A8u42qY4su4DlByD0Pus71EwlAd/BdNpC6SclqiWasClP4a0C0Ykvyh+zL6Wjr5iQMRV"
    "NfH0m8XwXQZm4xk9CCoumbvJ2Hoade3qskZerGVkeuPF8aQaIweotSOsS/9R1zHiHWGHHe"
    "zOVWBHVAe9eM7mDTOAxq1PeVosTfzHEsShqGYHB+Y6nc6abpFEuihh8Ysp5NKcregnJawj"
    "ozV/uZgZ1Z3sk9A7xraGdhqA2qkNoXn9tgxRGnpZZapc24ldxKWitWVLuWgX8sWC5EcTM2"
    "5Y8nCKO4D1H2DGe35zhA8AYuJc5YVkELCUMpsUTu7ogdVkus9fKEWhIq6UbOlFkVLsNE7Q"
    "UTldde18UkL6PhWrL97PXDKWmnOdDZfLxRSpqCrDnXNjQreCi7ZDEZcbp0aP0OWaHBUwZE"
    "RGxg0VZhY+w2MrN+Coj/QO3cnpXs6Bb5S3aC5nyF4M9Yp4cPaIjEZjD2iRMt8Pntrtp9sR"
    "6ec8Mwc6Rp4VCY4HxCFgRGKJqu0T18GOgNRv/4dnWJ+PR/wfA4GMttuHwHVlFuhpezxk0y"
    "Y4XsgxViKCptJ+3BUlRG0T1GK82Jfa8WHZtJmP3tml3CJYsiQpRALQoZXGtwLZgSKruCFU"
    "EtHLRdbAsOzIz/J5nOOb//xNmdS+1Wg77ctJtpv4qkBHMqxVTONotKyWD74hBh36cPYE5H"
    "R4IxQ1EpdupI01gyfAi7PsHOGuxxACAyvDHjwhRO+jqpGPn9POaG3RMvjALomIicg2+A+2"
    "PEoDs/IRubOcXkofK7irq05jiYG1ZxP+z5vP46R7Tkda7DXLqLGg2m/PrOA1ny05HC8C7L"
    "aQF+33yuT2wilqONUlYWRI3DODiHcZh24JlYhjoYgVE7NQtQLnEKW8SxXLJ/S7A9zwhY2R"
    "nizCboTWqkRWPzYIxwgJIvAH4wB63m0YdQ2SXe9kNumDDv1vAEQQM71DlE+a0VRAN0+cfF"
    "BZLVmIV1GBmVHg7SXWgQNHyusf80ShrUb4Wu4cfUaob8RoUWn19fcWBRlaa84v4f6+G2rG"
    "e7iYVdEjUW9uAsbFPe4oXCkAwtY2gZjce3oWVeyaIxsHjKYfkZOinaHJ/v+fTxC53aGtYX"
    "03cZGYeEYK2qmF2ZhA527SuK3pD1EWpY+qRuQjMrLxJld+Pgm3E3xPSeEtPy/wozcNJewz"
    "WulxqDJumktuaiwsSfS3TlUeuerJ9ZoeXUo7+T9f7qvFqWpZC13SELj4eE2estYHWe9aYx"
    "ZvFBo+dBpd1R/AJE2JZJ/Z+JkbCnTu20PIAuQPVtmiaQNVioOUTbDVUrr8XtGqzf01Jlch"
    "sH5gsTXbsfRmyqLwVDNi+joTHbZeu5eeO5su08xa7I4mItKOM1qRHahnpFVJvM9DsuxTQX"
    "ghsooChn0N8MfePIPWVU7K0jZ6oHvD41m4qCu5xIK1SJKQ/8EuWBCYO3Ic/lniIH7II4M+"
    "KfQY9dOJVh7gvt3g2WhyS+EQBBjOYGZ7jYaPykSxwFigexgMJxikRElNoVp1llCV3bpeKI"
    "Q3zQ4S46/yCeE1VoiMvzRpcZWcUNRQ3eQDQYlRTQ24NuGCOPIYC8mIrKFD5fjOvLAwdREY"
    "vorIl4EJZPkYWII+k4KY8oaIzRDHuHN+zUw34oe5WNg5O07gWiDC6E8WFfjIK5zOojnoU4"
    "k2l8pIR8gzfiyXfRZIbuyfpgHCX7CVccBUv4w3K1ikHOm/nYiQ+KhFymHiQFMFZ86TrIId"
    "gRz3vumZBhrIKGwBiJ7yH9gNXUURE1psnzTJOX2b6PD9H9lbj0gfjrlnJDDS1bl4nkvJ0T"
    "CykWHjoTU/CXq2/X0eyZ9HKCVnPCxnLKi04ZIBEUPZbpz1yeTGMc5mBxDg5FBTSrqVm337"
    "0JRxjwF9c2EaYDVFUNJcG+JkFdNVKpxLQRBVKWNSTIoEmQaFJtOADTXFa6KGUqGFW/IXCh"
    "ZfDCQqUyVFFIJytuu5WhqpA+Ualo4x2+gY3SVxTMWrJxv8oJ7ClLWLRSsYJpV6pElsPMkx"
    "XgmnO4RpjjcdDOOE7dEPdLHMR9NIN/MvDoD9GtPQcdxgUuEw6hoejmtp9yw96ILGNx2rGU"
    "amE8bjLOqBFofRBJZ/iItuIdZN/ihUQn8fugGbzfMrxhooFIlIbEkg7mOouaW7BcUQEhvK"
    "dD/JbcZnGHsemWpj0oB19UWsrHiH9kR5yLTx5BD99zdwVhlLg+wkSRt0udZq2TVzBuwuDc"
    "hJLOusZ8lMQ0DPs4PuoQ93F81Bj4IW6V1txBZC7RHOTNqD/D+m0nsiNZRjqHjiUCZmx3GN"
    "ulJbm7Q1QV1GmQb80pMhlhes4Ik+fKOw7dvIg2AXdbG7FlM7yCazvLWCNuiMZBE40uwSLt"
    "gfRfVbVdljW1WAetabkbvRGvXCdqyOU6chlwUmZCi1KGDlVPqGQCwF/FDDaokkx79Mntg5"
    "6HtbtxFrOR7bsb+VbjLrsbCcm5QVrtVFTw/lEQ4xuHL0D/h9HORJywu/xuB/XllrfT7ZZj"
    "eZrdYk0zLW+L0Wlm44cRRvoag3WWfo0/1TzC4+Yasj6To+MuJ15Fs+bsLfJm3e5H1JmCtV"
    "0S0wLwXdvb+ddUGOMlMS2g30GeooCAl6KU7zCT0BDjnsoTkAfKl4GlDnaNqA4+/O5Bt8ij"
    "R8GN2Ch/a1tPxtsbmrdX3iRTynOXCug4uW19i0wcvYDnWwGtDWJ4gjYpC5tPacifEr4LwX"
    "PbLGKlKqvTlr7JSDIUhej0vZmMJNqqeSB89CnxqT0f1XDQ8Z1xG++MszaDyR/9WsKwn7mp"
    "3EzpPhA/UCReciIa2sy9kC7io1JAOG6uIbpvj7psUkCrZp/kqBp4ylkYl6QtIvyPb1eXDY"
    "ZRJlJeLqkdov9DLg320UBtAVeA0c7dlmna0uInOnjxo2M//h+N9GZv"
)
