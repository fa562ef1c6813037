"""What the demo shop sells and what its customers say: a small gift and lifestyle shop.

Plain data for ``db.seed``. Prices are in minor units of the shop's currency.
"""

from __future__ import annotations

LOCALES = ("ko_KR", "en_US", "mixed")  # whose names, addresses and words the demo shop has

# (name, sku, price in KRW)
ITEMS_KO: tuple[tuple[str, str, int], ...] = (
    ("라벤더 소이 캔들", "CND-LAV", 18000),
    ("무화과 향초 미니", "CND-FIG", 12000),
    ("리넨 앞치마 (오트밀)", "APR-OAT", 32000),
    ("세라믹 머그컵 350ml", "MUG-350", 16000),
    ("핸드메이드 올리브 비누 3종", "SOP-OLV", 15000),
    ("드립백 커피 10입", "COF-D10", 14000),
    ("월넛 우드 코스터 2P", "CST-WAL", 9000),
    ("거즈 손수건 (연두)", "HNK-GRN", 7000),
    ("캔버스 에코백", "BAG-CNV", 19000),
    ("시더우드 디퓨저 200ml", "DIF-CED", 29000),
    ("유리 화병 (스몰)", "VAS-S", 22000),
    ("계절 엽서 세트 12매", "PST-12", 8000),
    ("제주 녹차 티백 샘플러", "TEA-JJ", 13000),
    ("호두나무 버터나이프", "KNF-WAL", 11000),
    ("면 키친크로스 2P", "KCL-2P", 12000),
    ("도자기 인센스 홀더", "INC-HLD", 14000),
    ("양모 실내화", "SLP-WOL", 39000),
    ("린넨 쿠션 커버", "CSH-LIN", 27000),
    ("미니 다육 화분", "PLT-SUC", 10000),
    ("수제 딸기잼 250g", "JAM-STR", 9500),
    ("북마크 황동 책갈피", "BMK-BRS", 8500),
    ("스톤 트레이", "TRY-STN", 24000),
    ("허브 입욕제 세트", "BTH-HRB", 21000),
    ("손뜨개 컵 워머", "CPW-KNT", 16500),
    ("우드 향 스틱 리필", "DIF-RFL", 15000),
    ("가죽 카드지갑", "WLT-CRD", 45000),
    ("여행용 파우치", "PCH-TRV", 23000),
    ("라탄 바구니 (중)", "BSK-RTN", 34000),
)

# (name, sku, price in US cents)
ITEMS_EN: tuple[tuple[str, str, int], ...] = (
    ("Lavender soy candle", "CND-LAV", 1800),
    ("Mini fig candle", "CND-FIG", 1200),
    ("Linen apron, oatmeal", "APR-OAT", 3200),
    ("Ceramic mug 12 oz", "MUG-350", 1600),
    ("Handmade olive soap trio", "SOP-OLV", 1500),
    ("Drip-bag coffee, 10 pack", "COF-D10", 1400),
    ("Walnut coasters, set of 2", "CST-WAL", 900),
    ("Gauze handkerchief, sage", "HNK-GRN", 700),
    ("Canvas tote bag", "BAG-CNV", 1900),
    ("Cedarwood diffuser 200 ml", "DIF-CED", 2900),
    ("Small glass vase", "VAS-S", 2200),
    ("Seasonal postcards, 12", "PST-12", 800),
    ("Green tea sampler", "TEA-JJ", 1300),
    ("Walnut butter knife", "KNF-WAL", 1100),
    ("Cotton kitchen cloths, 2", "KCL-2P", 1200),
    ("Stoneware incense holder", "INC-HLD", 1400),
    ("Wool slippers", "SLP-WOL", 3900),
    ("Linen cushion cover", "CSH-LIN", 2700),
    ("Mini succulent pot", "PLT-SUC", 1000),
    ("Strawberry jam 250 g", "JAM-STR", 950),
    ("Brass bookmark", "BMK-BRS", 850),
    ("Stone tray", "TRY-STN", 2400),
    ("Herbal bath set", "BTH-HRB", 2100),
    ("Hand-knit cup cozy", "CPW-KNT", 1650),
    ("Leather card wallet", "WLT-CRD", 4500),
    ("Rattan basket, medium", "BSK-RTN", 3400),
)

REVIEWS_KO: dict[int, tuple[str, ...]] = {
    5: (
        "향이 은은해서 매일 저녁 켜두고 있어요. 포장도 정성스러워서 선물하기 좋았어요!",
        "머그컵 색이 사진보다 더 예뻐요. 아침마다 기분이 좋아집니다.",
        "두 번째 구매예요. 역시 믿고 사는 곳이에요 :)",
        "손편지가 들어 있어서 깜짝 놀랐어요. 감사합니다.",
        "배송도 빠르고 마감이 꼼꼼해요. 친구 생일 선물로 또 살게요.",
    ),
    4: (
        "전체적으로 만족해요. 다만 배송이 하루 늦었어요.",
        "향은 좋은데 조금 더 진했으면 좋겠어요.",
        "가격 대비 퀄리티 좋아요. 색상이 조금 더 다양하면 좋겠어요.",
    ),
    3: (
        "무난해요. 사진이랑 조금 달라요.",
        "괜찮은데 생각보다 크기가 작아요.",
    ),
    2: (
        "포장이 찌그러져서 왔어요. 내용물은 괜찮지만 선물용이라 아쉬웠어요.",
        "향이 거의 안 나요. 기대했는데 실망이에요.",
    ),
    1: (
        "머그컵이 깨져서 왔어요. 교환 문의 남겼는데 아직 답이 없네요.",
        "주문하고 2주가 지났는데 아직 못 받았어요.",
    ),
}

REVIEWS_EN: dict[int, tuple[str, ...]] = {
    5: (
        "The candle smells lovely and the wrapping was so thoughtful. Perfect gift!",
        "Second order and still delighted. The mug is even nicer in person.",
        "There was a handwritten note in my parcel - made my day, thank you.",
        "Fast shipping and beautiful quality. Will be back for birthdays.",
    ),
    4: (
        "Really nice, though delivery took a day longer than promised.",
        "Good quality for the price; I wish there were more colours.",
    ),
    3: (
        "It's fine. A bit smaller than I expected.",
        "Okay, but the colour is not quite like the photo.",
    ),
    2: (
        "The box arrived crushed. Contents survived but it was meant as a gift.",
        "Barely any scent. Disappointed.",
    ),
    1: (
        "My mug arrived broken and nobody has answered my email yet.",
        "Two weeks and my order still hasn't arrived.",
    ),
}

COMPLAINTS_KO: tuple[str, ...] = (
    "상품이 파손되어 도착했습니다. 교환 부탁드려요.",
    "주문한 색상과 다른 제품이 왔어요.",
    "배송 조회가 일주일째 멈춰 있어요. 확인 부탁드립니다.",
    "결제는 두 번 됐는데 주문은 하나만 들어갔어요.",
    "선물용으로 샀는데 가격표가 붙어서 왔어요. 속상합니다.",
)

COMPLAINTS_EN: tuple[str, ...] = (
    "My order arrived damaged. Could you replace it, please?",
    "I received the wrong colour.",
    "Tracking hasn't updated in a week. Where is my parcel?",
    "I was charged twice for one order.",
    "It was a gift and it came with the price tag on. Not happy.",
)

# A person's replies to low ratings, as the seeded shop wrote them.
REPLIES_KO: tuple[str, ...] = (
    "말씀해 주셔서 고마워요. 어떤 점이 아쉬우셨는지 더 듣고 싶어서 따로 연락드렸어요.",
    "불편하셨을 텐데 남겨 주셔서 고맙습니다. 바로 교환해 드릴게요.",
    "실망하셨을 마음이 느껴져요. 다음엔 꼭 더 나은 모습 보여 드릴게요.",
)

REPLIES_EN: tuple[str, ...] = (
    "Thank you for telling us. I'm sorry it let you down; I've sent you a note to put it right.",
    "That's not how it should have arrived. A replacement is on its way today.",
    "I'm sorry. I read your review twice and we're changing how we pack these.",
)

REQUESTS_KO: tuple[str, ...] = (
    "선물 포장 가능할까요?",
    "재입고 알림 받을 수 있을까요?",
)

REQUESTS_EN: tuple[str, ...] = (
    "Could you gift-wrap my next order?",
    "Will the linen apron be restocked?",
)
