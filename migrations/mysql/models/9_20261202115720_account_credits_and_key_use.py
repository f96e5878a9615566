from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `account_credits` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `reference` VARCHAR(128) NOT NULL,
    `amount_minor` BIGINT NOT NULL,
    `posting_id` VARCHAR(36) NOT NULL,
    `created_at` DATETIME(6) NOT NULL,
    `account_id` BIGINT NOT NULL,
    UNIQUE KEY `uid_account_cre_account_2965d8` (`account_id`, `reference`),
    CONSTRAINT `fk_account__user_acc_90edccdb` FOREIGN KEY (`account_id`) REFERENCES `user_accounts` (`id`) ON DELETE RESTRICT
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='Money an operator credited to a user account (payout-service accounts credit), once per';
        ALTER TABLE `api_keys` ADD `last_used_at` DATETIME(6);
        ALTER TABLE `api_keys` ADD INDEX `idx_api_keys_prefix_10c459` (`prefix`);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE `api_keys` DROP INDEX `idx_api_keys_prefix_10c459`;
        ALTER TABLE `api_keys` DROP COLUMN `last_used_at`;
        DROP TABLE IF EXISTS `account_credits`;"""


MODELS_STATE = (
    "eJztXV1z2ziy/SsoPdlVistxPJOs8+RkPbvecexU4rm7tfEUDZGwhGsK4JKUZdXe/PfbAE"
    "nxWyZkUYZgvMxEJBqkT4NA90Gj+7+DKfeIHx2cui6fsfhzSDwaf+PzwQn674DhKYF/tLYZ"
    "ogEOgryFuBDjkS+FcNLacWVzeQ+PojjEbgy377AfEbjkkcgNaRBTzoTQF87IAmGGeEBCHP"
    "MQJeLEQzFHGM0iEqK0Z7QX4AWfxW/g2gN1SXY9SmX2h4gzuAw9iYd73IWnUzbu8Tk3LCR3"
    "JCTw8wTFE4IiQBAtryE8xpQhGsEll48ZjYg3RIw8wMMCTOHZc+j/AJ1D3x4JeERjBP+N4a"
    "VB6IaJHn3KSIT4XXbDod5H+aiQz4fyH5kEZp78zcgcjbCPxQu4fDqFTmM+JnArPBDAzBj9"
    "z4w42TWA58ePTHvi/vL1B3/+CT8p88gjiUQz8TO4d+4o8b3SgKGeEJTXnXgRyGuf6Picxb"
    "/JtkIdI8fl/mzK8vbBIp5wthSgyePHhAkVEfGEOJyJQcNmvp8Os2wcJX9E3iR5y4KMR+7w"
    "zBdDT0gnL5BfGzjO5dW18/3s2nEGtWGZSRRGUHrJ5UwMaXjVSAIwFq/w5i9HR+/evT86fP"
    "frh1+O37//5cPhB2gr37d+6/3P5GVytJKuJGbnfzu/vBYvxOG7Sb4rceGnlMExTqSkMnL0"
    "c4XVlPB5gsNmFZSEKpqAP7GqiQz3VarILuS6yL/6bShjih8dn7BxPIGfb48+rAD6f06/ff"
    "776bc9aLVfhvsyvXWU3BPI50jjqZzippTxUG3EVyWfHvu7gPgWh3+uhHwiVBnvZSkDB/y7"
    "XzuM93e/tg53casMNCx3AgwHx3Wg/wp3YjolzWCXJStge6noQfaPHYR+BdTX51/Ovl+ffv"
    "kqup9G0X98idfp9Zm4cySvLipX96pqWXaC/nl+/XckfqJ/X12eSThhJI9D+cS83fW/B+Kd"
    "8CzmDuNzB3tFTLLL2aXypJYabqqLeFnOTmhKE5owpe7uG5fzgilWVsZvPCR0zH4nC6mQc3"
    "h13LyApwb8H2DBnua97ZgyfmYDLruaG3chni+t0Mo4BBTgbyexxOEbfBzfzj8D4ALvEXbv"
    "5zj0nBLw4g4/4pUry7b1W9OjafUKZngsARJ/iXjvsgd1QbwxCc9YHC4G7X5WsVUnT8uXAg"
    "4BCUo6OlxXLHEphEeBkcdn0Ocb0cNi6UfseXwKcB9kbs/+AToNAsK8N5z5ixPheEQIhwRR"
    "BuMLhtOw5m718pQblnhOs0AsHB4CJy7RtAeiBb8JvCqeuk1zGk9yvyw3AYQHR0B6BL6RcJ"
    "vg1w1LvDvxykuJxGr7uPQML/+4uJBPEG5XyB+oB+8D3zUOpQOWtoIebt1ZKKzrxW2by2Vd"
    "K12m4lWulc625la10bepmX4uKigXZQy057u4r+3Oa8119WhIXPlGChCXhAzEuMs4bh/GtV"
    "F8D3+UCrxZewORfdsF2rft2L6tgWu5Fx24F8mMqy6HRaG1xnq61L2WxdDyLpZ36ZV3efp7"
    "MnQu05B20UwXJrAuAQVlDZqYluTOcCW7ElDnniy68SntsFqXX+NpYLjC5QfdOxMcTZQM+Y"
    "LMZoz5l1VE2Uk67uIlHbe7ScdVAycIyR19VDIhlxLmsSmbd5Xgzya+CrxLge15ooPBVsA9"
    "+uWXDuhCq1Z45T1roL9CAz0kD/x+LTWXJTegZj2NRCO07OModmbRWnquylpN66xpEeSp7G"
    "0XhCxvuClfW4C6IUd7B1XQ1cUuDD29/OuZR+MLPh40edjZveFKH1u0cnw+VohaCPlchFwj"
    "AdtsSjyUBBAg8kBYLHfZayEIT4tYL13jCWS4wkufkiiC0am4E1GWsp76k566/FIc+UsB5r"
    "KUgbubmwcaj8HSGQMeCU4KYNclDQT83VGXTbaj9k22o3bA1aaQqpx5fFQPfB9e+Bw3wHxN"
    "HltWy4KIEcN5lR919q/rkguVQbn35fRf+yU36uLq8m9Z8wL0ny+uPlUgDwn82ZHqTn1Zqq"
    "etetMOBXFXRqKtwx9URC0fqDV/IA5xht6ahGBJ1CpaO0XX2IqX8a0/+xRs5zNhQLecyq60"
    "GK7ys13Z1pH2eEdX+1qEts9GPnUTNxmBl74M1i/1V3yT/eT4c3JDBMAT7E6SU9VsNh0RmO"
    "NqHnpvT7phb4foaIjepbH9aLRAt5FY2phLbj+iW+FV3i7j+GV0GsLJr9Ov5yia8DnxkDgb"
    "EKe3nQcSRoBQ+wHqAlmTPWoAmv5RiX4r9WYPWO8G2ZD4s2qmVFHGOKLh+LCDGXV82GpFiV"
    "tlI0rV6zXY1908uHbj48UCppdrgRL2RSkLvnnR6i/JpG08XL1i09Sgbh3ldUGDgpmP3h6/"
    "P/7w7tfj5QhfXlk1sOuDeLeCjbZpk+y6y1k6nge2pwo/mrU3wv7ZBjmqiX9/7pFpwGNxbr"
    "UlRr3SYrjKv6d5255i1n8sYzWgf+uv6mTnrAxhV7F40uZGTCVbiP69g+eTMAhp02GhdpQr"
    "YgaivfmNQ1hgA3gicaIYx7NIwbZskDTJkdqYdbnEacS9hkmj3QCpCRoxoLe9TftCHqpusN"
    "sT1VqO+F1zoshjQKG7NdRclrSuss5atmy2DePXQQW7HsZ/NYtH/PFLEhI9aGAiyg2Gq4gI"
    "Lps6aXx1x1CD01I8PppjKjP4xRyN0siAaEK8j4iKXH8i0x6N0DykMUl+1mP+N9Hh0ycCfg"
    "xynwI/YCrHZ7pygJr/tKSIlqSIPTGwFVPbnhiwJwZ0ANyeGNjlwW1PDGydipoQDDZQA8fa"
    "DnlBxEK+BuRtrHb7XNLKZveZqUVk5RawbWUu6SFxaByTaRCr7B4URbZHFxz2a39vbM9AZr"
    "0gYdiUh7V9sihLmRBYte3poupsqhCcVVnLZGvNcbo+BiV4zkgtI3pJyoRPrG87M0NsxmLa"
    "kDHtib2hqrBN/6P1N2U3AV+Dmpc87xqKrsraD1o3TWsSxvlVhmAMGjZN0jvDVbslSQBHr9"
    "GaYIaTkGHfaa/mmjcuz29iD0McXMx9TZdPA1loqdJihGN3kh16TFqr7X60mzKWb1/Jt7dv"
    "c9gyGRocPLLljGojf8PljObYhxlJBd9cwkB0ewl0blhDFPBuljYQ+16SyuwGNbw9jDfOCm"
    "flG531QnAbpTfCuGhkrfQyspfQqQ/xBlHzSK7Nb1xHhAnLXXkXpCZnt0LsVogeWyEMsAXD"
    "Ig4Xa7A8NWFL8+hG85ScqQr7oMTcVmStpnXWdGV9X4fAbezBal1nrTNCvAjm4wdK5g2MFe"
    "c+waxtJi+LVhQ9AtnNWCg1G3yp7e0q99PV1UVJr5/Oq6vlH18+nYFRLhUKjWjcwlElqAF4"
    "OGrK2rLq5GdF0Bow6+TnlSBGtJFVebK6UEnWTm86T293mPqzkID+PCX+rCpnwlfWt6ebYT"
    "bNzyypwl0QNQ/xXmhi8KRmIVszLXJJ1E5kOk9k6gnenpvZzWjqqLh53nWSKsqYNztt/jDa"
    "lMRYNbNaUcYEjLdt2e5WmJ1NwrBmEobAW1PLZUkbTKm3mm2uDZtrQwMVbCPXRpcTY59Syd"
    "9+/0Z8HDcbt6VI0O+EeadJfwbh/rP/4NpPwtZtqYFSaTF8OtjWkaZz98wkaVUQKbUsSlLs"
    "qvgO+wfoPI4QBS1HCIekUFdEliih4qb3cVCBvKfH3DBx3RXBnOB/yRIpMHi8VG7KHwiaMZ"
    "H9JJ7QSNZI9bl7P0QxvicMib1pRBnCoGfMIoBpRdmTxoji9PurBxXb0OCXDQ22i/mLBQRP"
    "Fcnf6XNIX+0g7zmUz8ZKlkneLvVjjtrrxxzV6seIlcORC4oC+VcWMmnu2BgFGPMY+0oZN3"
    "IJIwbu1hNuzFyXEDCGFMZxScbS2NUxLPbNlPDMBSyYtXNDwnn31fAsyVhI62EuyRajAqJF"
    "EQvobtcj0mY52znm1xL8r0HNNrjaZE1rlS2hyIS3croVuvxJWrd2RulpcveKEeRi3xd5oS"
    "WDmsaMozseIpwSqieIBzBUPbQHKoAxJQpIyyx4t/toRKBlwr6KfobI9XlE6gWu+3rQDZvT"
    "eCLpXsyiOQkP0O2M3YPi2W1SHVt0Ac+JYh4E0HWhn0QAuoPvsoXUzUpWSzRTVdjCXxrRii"
    "uSP+RfTkdbtyBhKZrm+kji/WqAtnOLuYQRFE3f5O0kjgP18l4VKVs3tj5y5fnSBBKF0VuW"
    "MiH+re+Y8wSx1ojzdi63JmgC2ttmdLVN46DVqO8rRUm4nuNYlrQMgXZ+Y6Xc6brpFCuilh"
    "/QWc+2FGVvQTkrwjpzV/uZgZ153skdA7xraGdpqGlVSO1ryF2w4oi3opZarc1wJbmVtVas"
    "qHYtA/9YNJuK4mZsxB9PEEZpH6LsGc5vT3CE4A18SryhrIIWE4aWxBK5uyNuXC+x1ssTGk"
    "morBs5U+ZVuCwTtRNMVFF7XReTooyBa8nms9frU9LOcKDz+XitlDQlWXuuTTcrWJddspSM"
    "OJ15tHmHrNTgKQMiITawaKuwMXabmFlvIhI+ULewZyU7ukXhjJ2gCZ8j+DMWy8MHNEZiMx"
    "iHxEsW+OJ2V+O+WA/PuWGYedK08ChMcCEhUwIjFI0W6B4+DLSH0T++X10iPvpfMDz2h3Ib"
    "rtiBU5Yb49m4dZPMWiG7YIVYisrYSVtbisoqusdopQlx79WiY3MJu7/dsEs4Y0lEiBKoZS"
    "GLawOuJVNCZVewJmiEg7aNbUHNzPh/ktGE8/vPnN351F1p0FebdjPt54mUYE6lmMrZZlEp"
    "GWxfHCMchvQBzOnkSDBmKCnFTj1pGkuGD2E/JNhbgD0OACSGN2ZcmMJZXyc1I7+fx9ywex"
    "LESQAdE5Fz8A3wcIgYdBdmZGM7p5g9VH5XSZfOBEcTyyruhj1f1F/niJaizk2YS7dRo8GW"
    "X996IEtxOlIY3lU5I8Dvm88NiUvEcrRWysqSqHUYtXMY9bQDz8Qy1MEITNqpWYByiVPYIk"
    "7lsv1bgt1JTsDKzhBnLkF7SyMtGZv7Q4QjlH0B8IN5aD5JPoTaLvGmH3LDhHm3gCcIGtij"
    "3gEqbq0gGqHLPy4ukKzGLKzDxKgMcLTchQZBy+da+8+gpEH9VujSP6bWMOTXKrT4/PqKmk"
    "VV2vKKu3+sh7uynu06FnZF1FrY2lnYtrzFC4UhWVrG0jIGj29Ly7ySRUOzeEq9/AyTFG2P"
    "z/d8+viFTm3p9cX0XUbGIzFYqypmVy5hgl37iqI3ZH2EBpY+q5vQzsqLRNndOPh23C0xva"
    "PEtPy/wgyctTdwjeulxqBNOmmsuagw8RcSXQXUuSeLZ1ZoOQ3o72Sxuzqvl2UpZW33yDTg"
    "MWHuYgNYnee9GYxZetDoeVAZdxS/BBF2ZVL/Z2Ik7KlTd1kewBSg+jZNM8haLNQCoqsNVa"
    "eoxc0arD+WpcrkNg7MFza6djeM2KW+FAzZooyBxmyXref2jefatvMI+yKLizOljDekRlg1"
    "1GuixmSm33IppokQXEMBZTmL/nroW0fuKaNiZx05Wz3g9anZVhTc5kRao0pseeCXKA8MK1"
    "GWVOUZ3FPigH2WfaVFbA1BvTRFEAadkM2AdUG8MQnPoMcuBJSem2jb5wzkiZLvBEAQn34L"
    "c1BuNHySP0ii6qNUQOHsSSYi6hKLo7+y3rDrU3EeJD0VcpccFhHPScpZpLWMk8uMzNOGom"
    "BxJBoMKgro7UE3jJHHGECejkQZj5BPh821lKOk4kdyMEc8CMunyKrNiXSawUhUf8ZojIOD"
    "G3Ya4DCWvcrG0cmySAiiDC7E6clojKKJTIEknoU4kzmPpIR8gz3x5Ltk5kf3ZLE/TDIjxX"
    "OOohn8YYXCziAXjEPspadqYi7zNJISGHM+8z3kEeyJ5z33AI0eJoNlewbie1h+wGrqqIla"
    "O+55dtzLxDqkJw7/Snz6QMLFitpMLS1XLhPZ4UQvFVKs0nQmpuCvV9+vk9kz6+UEzSeEDe"
    "WUlxzJQCKCfChzxfk8m8Y4zMHi0CBKqo3W89huvnsbu6HxF7dqIlwOUFU1VAT7mgRN1Uit"
    "bNVafFFV1jJGWjNGyaTaclqovQZ3WcqWe6p/Q+BCy0iPqUoZrbKQSVbcZsto1SF9oqzT2t"
    "uhmo3SVxT5W7Fxv8kJ7ClLOCXuOlvBtCtVImuHFskKcM05XCPMCzhoZ5jmuUj7JR7iIRrD"
    "Pxl49Afo1p2ADtNqoBmH0FKhdNNPuWF7IiVbmqNtSbUwnjYZ5tQItN5PpHN8RFvxDrJv8U"
    "Kik/R90BjebxbfMNFAZJVDYkkHc50lzR1YrqiAEN7TI+GKRHBph6nptswRUY1UqbWUjxH/"
    "yM+Dl588gB5+FO4KwihzfYSJIm9XOs1bZ69g3QTt3ISKzroGyFTEDIyROT7sECRzfNgaJS"
    "NuVdZcLdK8GA7yetSfZf02EwaTLSOd4+wyATu2O4ztypLc3SGqC5o0yDfmFNn0OT2nzyly"
    "5R2HblHEmOjEjY3Yqhlew3U1y9ggbolGrYlGn2CRI0L6r6rarsrawrVaa1ruRq/FKzeJWn"
    "K5iVwGnJSZ0LKUpUPVs0/ZaPlXMYNpVb9qhz65XdCzXrsbZykbuXp3o9hq2GV3IyM518hB"
    "vhQVvH8SxLjn8Sno/yDZmUizm1ffbb+5NvVmut1wLE+7W2xoWupNMTrtbLweYaSvMVhnFj"
    "b4U+0jPG1uIOtzdHjc5XiwaNae6kbebNr9SDpTsLYrYkYAvm17u/iaCmO8ImYE9FtI6hQR"
    "8FKUkkPmEgZi3FMtB/JA+Sxy1MFuEDXBh98+6A55DCi4EWslu13Vk/X2dPP2qptkSkkBlw"
    "ImTm4b3yITRy/g+U5EG4MYnqBNqsL2U9L5U8J3MXhu60Ws1GVN2tK36Vt0UYhJ35tN32Ks"
    "mjXho09JSN3JoIGDTu8MV/HOOG+jTbLt1xKG/cxN5XZK94GEkSLxUhAx0GbuhXQRH5UCwm"
    "lzA9F9e9hlkwJatfskh/XAU87itH5vGeF/fL+6bDGMcpHqckndGP0f8mm0iwbqCnAFGKu5"
    "2ypNW1n8RAcvfnTs5/8Dv5C59Q=="
)
