"""Generate the bundled sample workbook, samples/orders.xlsx.

    python samples/make_sample.py samples/orders.xlsx

The workbook has two sheets:

* ``Orders``: 300 ordinary orders released between 2018-10-01 and 2018-11-20 (US Pacific time),
  all clean (shipped within 120 h, first carrier scan within 168 h, delivered, as far as
  2018-11-21 09:00 has come),
  followed by the named edge cases (Order IDs such as ``E-CANCEL-TRANSITIONAL``), one per
  policy boundary, validation problem and workflow state; samples/README.md lists them with
  the expected result of ``wishxl recalc ... --as-of 2018-11-21T09:00:00-08:00``.
* ``Inventory``: SKU and Stock for every SKU but one (WM-LED-NEON-SIGN, so "SKU not in
  inventory" shows), with WM-YOGA-MAT-PRP too low for both of its open orders.

Datetimes are real Excel datetimes, naive, meaning America/Los_Angeles wall-clock time (the
default workbook zone of rules/settings.yaml). The generator is deterministic: a fixed seed,
no use of the current date, and a fixed workbook creation date, so building twice gives the
same workbook.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

SEED = 20181121
PT = ZoneInfo("America/Los_Angeles")
UTC = timezone.utc
# The "now" the sample is meant to be recalculated at (README, Makefile AS_OF, tests): no event
# of an ordinary order lies after it.
AS_OF = datetime(2018, 11, 21, 9, 0)
FIRST_DAY = date(2018, 10, 1)
LAST_DAY = date(2018, 11, 20)
WISHPOST_START = datetime(2018, 10, 22, 0, 0)  # rules/policies.yaml, policy wishpost
N_ORDINARY = 300
CREATED = datetime(2018, 11, 21, 9, 0, 0)

HEADERS = [
    "Order ID", "Released At", "Order State", "SKU", "Product ID", "Product", "Quantity", "Price", "Shipping",
    "Order Total", "Name", "Street Address 1", "City", "State", "Country", "Zipcode", "Phone Number",
    "Shipping Provider", "Tracking Number", "Shipped At", "Tracking Modified At", "Tracking Confirmed At",
    "Tracking Exception", "Delivered At", "Refunded At", "Refunded By", "Refund Reason", "Fake Tracking",
    "Origin Country", "Merchant Notes",
]
DATETIME_HEADERS = {"Released At", "Shipped At", "Tracking Modified At", "Tracking Confirmed At", "Delivered At",
                    "Refunded At"}
MONEY_HEADERS = {"Price", "Shipping", "Order Total"}
WIDTHS = {"Order ID": 26, "Product": 44, "Name": 22, "Street Address 1": 28, "City": 16, "State": 14,
          "Phone Number": 18, "Shipping Provider": 12, "Tracking Number": 26, "Tracking Exception": 26,
          "Refund Reason": 30, "Merchant Notes": 60, "Product ID": 26, "SKU": 20}

# --- Catalogue ------------------------------------------------------------------------------------
# (SKU, product name, price, shipping) per unit, USD.
PRODUCTS = [
    ("WM-EARBUD-BT5-BLK", "Wireless Bluetooth 5.0 Earbuds with Charging Case", 18.00, 3.00),
    ("WM-DRESS-FLRL-M", "Women's Floral Print Summer Maxi Dress (M)", 14.00, 3.00),
    ("WM-WATCH-SS-SLV", "Men's Stainless Steel Quartz Watch, Silver", 24.00, 4.00),
    ("WM-PHCASE-IP8-CLR", "Clear Shockproof Case for iPhone 8", 3.00, 1.00),
    ("WM-LASH-3D-10P", "3D Faux Mink False Eyelashes, 10 Pairs", 5.00, 2.00),
    ("WM-LED-STRIP-5M", "5 m RGB LED Strip Light with Remote", 11.00, 3.00),
    ("WM-YOGA-MAT-PRP", "Non-Slip Yoga Mat 6 mm, Purple", 17.00, 5.00),
    ("WM-HOODIE-GRY-L", "Unisex Pullover Hoodie, Grey (L)", 21.00, 4.00),
    ("WM-SNKR-RUN-42", "Men's Breathable Running Sneakers (EU 42)", 26.00, 6.00),
    ("WM-BACKPK-USB", "Anti-Theft Laptop Backpack with USB Charging Port", 29.00, 6.00),
    ("WM-RING-925-7", "925 Sterling Silver Cubic Zirconia Ring (Size 7)", 8.00, 2.00),
    ("WM-NECK-HEART-GLD", "Gold-Plated Heart Pendant Necklace", 6.00, 2.00),
    ("WM-CHRG-USBC-2M", "USB-C Fast Charging Cable 2 m (2-Pack)", 4.00, 1.00),
    ("WM-PWRBNK-20K", "20000 mAh Portable Power Bank", 22.00, 5.00),
    ("WM-SMARTBND-M3", "Fitness Tracker Smart Band with Heart-Rate Monitor", 16.00, 3.00),
    ("WM-KNIFE-SET-6", "6-Piece Stainless Steel Kitchen Knife Set", 27.00, 8.00),
    ("WM-BAKE-MOLD-12", "Silicone Baking Mold Set, 12 Pieces", 9.00, 3.00),
    ("WM-CAR-MOUNT-MAG", "Magnetic Car Phone Mount", 5.00, 1.00),
    ("WM-SUNGL-POL-BLK", "Polarized Sunglasses UV400, Black", 7.00, 2.00),
    ("WM-TOY-RC-CAR", "RC Stunt Car 2.4 GHz, 360 Degree Flip", 23.00, 6.00),
    ("WM-DRONE-4K-FLD", "Foldable Drone with 4K HD Camera and GPS", 129.00, 6.00),
    ("WM-VAC-ROBOT-S1", "Robot Vacuum Cleaner with Smart Mapping", 139.00, 9.00),
    ("WM-GUITAR-AC-38", "38-Inch Acoustic Guitar Starter Kit", 64.00, 15.00),
    ("WM-SHEET-Q-WHT", "Microfiber Bed Sheet Set, Queen, White", 19.00, 5.00),
    ("WM-WIG-LACE-22", "Lace Front Wig, 22 Inch Body Wave", 45.00, 5.00),
    ("WM-WALL-STICKER", "Removable Wall Stickers, Tree and Birds", 2.00, 1.00),
    ("WM-SOCKS-5P", "Cotton Ankle Socks, 5 Pairs", 4.50, 1.50),
    ("WM-TENT-2P", "2-Person Waterproof Camping Tent", 38.00, 10.00),
    ("WM-PROJ-MINI", "Mini LED Projector, 1080p Supported", 79.00, 12.00),
    ("WM-HAIR-CLIP-20P", "Hair Claw Clips, 20 Pieces", 1.00, 1.00),
    ("WM-BIKE-LIGHT", "USB Rechargeable Bike Light Set", 10.00, 2.00),
    ("WM-LED-NEON-SIGN", "LED Neon Sign 'Good Vibes', USB Powered", 32.00, 6.00),
]
MISSING_SKU = "WM-LED-NEON-SIGN"  # not in the Inventory sheet: only E-SKU-UNKNOWN orders it
LOW_STOCK_SKU = "WM-YOGA-MAT-PRP"  # 3 in stock, two open orders of 2 (E-STOCK-RESERVED, E-STOCK-SHORT)
LOW_STOCK = 3

# --- Addresses ------------------------------------------------------------------------------------
# Per country: places (city, state/region, postal code, phone area), streets, first and last names.
US_PLACES = [
    ("Los Angeles", "CA", "90012", "213"), ("San Jose", "CA", "95112", "408"), ("Houston", "TX", "77002", "713"),
    ("Austin", "TX", "78701", "512"), ("Miami", "FL", "33130", "305"), ("Orlando", "FL", "32801", "407"),
    ("New York", "NY", "10001", "212"), ("Brooklyn", "NY", "11201", "718"), ("Chicago", "IL", "60601", "312"),
    ("Boston", "MA", "02118", "617"), ("Newark", "NJ", "07102", "973"), ("Seattle", "WA", "98101", "206"),
    ("Denver", "CO", "80202", "303"), ("Atlanta", "GA", "30303", "404"), ("Phoenix", "AZ", "85004", "602"),
    ("Columbus", "OH", "43215", "614"), ("Nashville", "TN", "37203", "615"), ("Detroit", "MI", "48226", "313"),
    ("Portland", "OR", "97205", "503"), ("Charlotte", "NC", "28202", "704"),
]
GB_PLACES = [
    ("London", "Greater London", "E1 6AN", "20"), ("London", "Greater London", "SE1 7PB", "20"),
    ("Manchester", "Greater Manchester", "M1 1AE", "161"), ("Birmingham", "West Midlands", "B1 1BB", "121"),
    ("Leeds", "West Yorkshire", "LS1 4DY", "113"), ("Glasgow", "Scotland", "G1 1XQ", "141"),
    ("Edinburgh", "Scotland", "EH1 1YZ", "131"), ("Cardiff", "Wales", "CF10 1EP", "29"),
    ("Bristol", "Bristol", "BS1 4DJ", "117"), ("Liverpool", "Merseyside", "L1 8JQ", "151"),
]
DE_PLACES = [
    ("Berlin", "Berlin", "10115", "30"), ("München", "Bayern", "80331", "89"), ("Hamburg", "Hamburg", "20095", "40"),
    ("Köln", "Nordrhein-Westfalen", "50667", "221"), ("Frankfurt am Main", "Hessen", "60311", "69"),
    ("Stuttgart", "Baden-Württemberg", "70173", "711"), ("Leipzig", "Sachsen", "04109", "341"),
    ("Dresden", "Sachsen", "01067", "351"),
]
FR_PLACES = [
    ("Paris", "Île-de-France", "75011", "1"), ("Lyon", "Auvergne-Rhône-Alpes", "69002", "4"),
    ("Marseille", "Provence-Alpes-Côte d'Azur", "13001", "4"), ("Toulouse", "Occitanie", "31000", "5"),
    ("Lille", "Hauts-de-France", "59000", "3"), ("Nantes", "Pays de la Loire", "44000", "2"),
    ("Bordeaux", "Nouvelle-Aquitaine", "33000", "5"), ("Nice", "Provence-Alpes-Côte d'Azur", "06000", "4"),
]
CA_PLACES = [
    ("Toronto", "ON", "M5V 2T6", "416"), ("Vancouver", "BC", "V6B 1A1", "604"), ("Montréal", "QC", "H2X 1Y4", "514"),
    ("Calgary", "AB", "T2P 1J9", "403"), ("Ottawa", "ON", "K1P 5G4", "613"), ("Winnipeg", "MB", "R3C 0V8", "204"),
    ("Halifax", "NS", "B3J 1S9", "902"), ("Edmonton", "AB", "T5J 0N3", "780"),
]
AU_PLACES = [
    ("Sydney", "NSW", "2000", "2"), ("Melbourne", "VIC", "3000", "3"), ("Brisbane", "QLD", "4000", "7"),
    ("Perth", "WA", "6000", "8"), ("Adelaide", "SA", "5000", "8"), ("Canberra", "ACT", "2601", "2"),
    ("Hobart", "TAS", "7000", "3"),
]
JP_PLACES = [  # (city, prefecture, postal code, district used in the street line)
    ("Shibuya-ku", "Tokyo", "150-0001", "Jingumae"), ("Shinjuku-ku", "Tokyo", "160-0023", "Nishi-Shinjuku"),
    ("Osaka", "Osaka", "530-0001", "Umeda"), ("Yokohama", "Kanagawa", "220-0012", "Minatomirai"),
    ("Nagoya", "Aichi", "460-0008", "Sakae"), ("Sapporo", "Hokkaido", "060-0001", "Kita 1-jo Nishi"),
    ("Fukuoka", "Fukuoka", "810-0001", "Tenjin"), ("Kyoto", "Kyoto", "600-8216", "Higashishiokoji"),
]
BR_PLACES = [  # (city, state, CEP, phone area, street)
    ("São Paulo", "SP", "01310-100", "11", "Avenida Paulista"),
    ("Rio de Janeiro", "RJ", "20040-020", "21", "Rua da Assembleia"),
    ("Belo Horizonte", "MG", "30130-010", "31", "Avenida Afonso Pena"),
    ("Curitiba", "PR", "80020-310", "41", "Rua XV de Novembro"),
    ("Salvador", "BA", "40020-000", "71", "Avenida Sete de Setembro"),
    ("Porto Alegre", "RS", "90010-000", "51", "Rua dos Andradas"),
]
CN_PLACES = [  # (city, province, postal code, street)
    ("Shanghai", "Shanghai", "200120", "Century Avenue"), ("Beijing", "Beijing", "100020", "Jianguo Road"),
    ("Guangzhou", "Guangdong", "510623", "Tianhe Road"), ("Shenzhen", "Guangdong", "518048", "Shennan Avenue"),
    ("Hangzhou", "Zhejiang", "310006", "Yan'an Road"), ("Chengdu", "Sichuan", "610041", "Renmin South Road"),
]
STREETS = {
    "US": ["Maple Ave", "Oak St", "Washington Blvd", "Sunset Dr", "Lincoln Way", "Main St", "Elm St", "Park Ave",
           "Cedar Ln", "Pine St", "Lakeview Dr", "Jefferson St"],
    "GB": ["High Street", "Station Road", "Church Lane", "Victoria Road", "Queen Street", "Mill Lane", "Park Road"],
    "DE": ["Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Goethestraße", "Lindenallee"],
    "FR": ["rue de la République", "avenue Victor Hugo", "boulevard Voltaire", "rue Nationale", "rue Jean Jaurès"],
    "CA": ["Queen St W", "Granville St", "Rue Sainte-Catherine", "Bank St", "Portage Ave", "Spring Garden Rd"],
    "AU": ["George Street", "Collins Street", "Queen Street", "Murray Street", "King William Street", "Elizabeth St"],
}
FIRST_NAMES = {
    "US": ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Daniel", "Jessica",
           "Carlos", "Maria", "Kevin", "Ashley", "Brian", "Tiffany", "Jamal", "Keisha", "Tyler", "Brittany"],
    "GB": ["Oliver", "Amelia", "Harry", "Olivia", "George", "Isla", "Jack", "Emily", "Charlie", "Poppy"],
    "DE": ["Lukas", "Anna", "Leon", "Lea", "Jonas", "Laura", "Felix", "Sophie", "Maximilian", "Marie"],
    "FR": ["Lucas", "Emma", "Hugo", "Léa", "Louis", "Chloé", "Gabriel", "Manon", "Arthur", "Camille"],
    "CA": ["Liam", "Emma", "Noah", "Olivia", "William", "Charlotte", "Félix", "Léa", "Ethan", "Ava"],
    "AU": ["Jack", "Charlotte", "William", "Olivia", "Thomas", "Mia", "Lachlan", "Chloe", "Cooper", "Isla"],
    "JP": ["Haruto", "Yui", "Sota", "Hina", "Yuto", "Sakura", "Riku", "Aoi", "Ren", "Yuna"],
    "BR": ["Miguel", "Alice", "Arthur", "Sophia", "Davi", "Helena", "Gabriel", "Valentina", "Bernardo", "Laura"],
    "CN": ["Wei", "Fang", "Lei", "Jing", "Hao", "Min", "Jun", "Li", "Yang", "Xiu"],
}
LAST_NAMES = {
    "US": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
           "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lee", "Nguyen"],
    "GB": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker"],
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"],
    "FR": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"],
    "CA": ["Smith", "Tremblay", "Brown", "Martin", "Roy", "Wilson", "Gagnon", "MacDonald", "Lee", "Campbell"],
    "AU": ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin", "White"],
    "JP": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"],
    "BR": ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes"],
    "CN": ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"],
}
COUNTRY_WEIGHTS = [("US", 40), ("GB", 12), ("DE", 10), ("FR", 10), ("CA", 8), ("AU", 7), ("JP", 5), ("BR", 5),
                   ("CN", 3)]
NOTES = ["Gift wrap requested", "Repeat customer", "Ships from warehouse B", "Customer asked for a gift receipt",
         "Checked address with customer", "Bundle with next order if possible", "Fragile: extra bubble wrap"]
REFUND_REASONS_AFTER_DELIVERY = ["Item does not fit", "Item does not match the listing", "Item arrived damaged",
                                 "Item does not work as described"]


# --- Time helpers ---------------------------------------------------------------------------------
def later(naive: datetime, hours: float) -> datetime:
    """A Los Angeles wall-clock time plus elapsed hours, as wall-clock time, to the minute.

    Elapsed hours go through UTC, so a span that crosses the end of DST (2018-11-04) is exact. A
    result inside the repeated hour 01:00-02:00 of 2018-11-04 is moved to 02:xx, which has one
    meaning only, so a naive cell never needs the `fold` Excel cannot store.
    """
    moment = naive.replace(tzinfo=PT).astimezone(UTC) + timedelta(hours=hours)
    local = moment.astimezone(PT).replace(tzinfo=None, second=0, microsecond=0)
    if local.date() == date(2018, 11, 4) and local.hour == 1:
        local += timedelta(hours=1)
    return local


def elapsed_hours(start: datetime, end: datetime) -> float:
    """Elapsed hours between two Los Angeles wall-clock times."""
    a = start.replace(tzinfo=PT).astimezone(UTC)
    b = end.replace(tzinfo=PT).astimezone(UTC)
    return (b - a).total_seconds() / 3600


def object_id(rng: random.Random, moment: datetime) -> str:
    """A 24-hex id like Wish's (a MongoDB ObjectId: 4 bytes of epoch seconds, then 8 random bytes)."""
    seconds = int(moment.replace(tzinfo=PT).timestamp())
    return f"{seconds:08x}{rng.getrandbits(64):016x}"


# --- Addresses, phones, tracking numbers ------------------------------------------------------------
def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def address(rng: random.Random, country: str) -> dict[str, str]:
    first = rng.choice(FIRST_NAMES[country])
    last = rng.choice(LAST_NAMES[country])
    number = rng.randint(1, 999)
    if country == "US":
        city, state, zipcode, area = rng.choice(US_PLACES)
        street = f"{number * 10 + rng.randrange(10)} {rng.choice(STREETS['US'])}"
        if rng.random() < 0.25:
            street += f" Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"
        if rng.random() < 0.1:
            zipcode += f"-{digits(rng, 4)}"
        phone = rng.choice([f"+1 {area}-555-01{digits(rng, 2)}", f"({area}) 555-01{digits(rng, 2)}",
                            f"{area}-555-01{digits(rng, 2)}"])
    elif country == "GB":
        city, state, zipcode, area = rng.choice(GB_PLACES)
        street = f"{number % 200 + 1} {rng.choice(STREETS['GB'])}"
        phone = rng.choice([f"+44 7700 900{digits(rng, 3)}", f"+44 {area} 496 0{digits(rng, 3)}"])
    elif country == "DE":
        city, state, zipcode, area = rng.choice(DE_PLACES)
        street = f"{rng.choice(STREETS['DE'])} {number % 120 + 1}"
        phone = rng.choice([f"+49 {area} {digits(rng, 7)}", f"+49 15{rng.randrange(10)} {digits(rng, 8)}"])
    elif country == "FR":
        city, state, zipcode, area = rng.choice(FR_PLACES)
        street = f"{number % 150 + 1} {rng.choice(STREETS['FR'])}"
        phone = rng.choice([f"+33 {area} " + " ".join(digits(rng, 2) for _ in range(4)),
                            f"+33 6 " + " ".join(digits(rng, 2) for _ in range(4))])
    elif country == "CA":
        city, state, zipcode, area = rng.choice(CA_PLACES)
        street = f"{number * 3} {rng.choice(STREETS['CA'])}"
        phone = f"+1 {area}-555-01{digits(rng, 2)}"
    elif country == "AU":
        city, state, zipcode, area = rng.choice(AU_PLACES)
        street = f"{number % 400 + 1} {rng.choice(STREETS['AU'])}"
        phone = rng.choice([f"+61 491 570 {digits(rng, 3)}", f"+61 {area} 5550 {digits(rng, 4)}"])
    elif country == "JP":
        city, state, zipcode, district = rng.choice(JP_PLACES)
        street = f"{rng.randint(1, 6)}-{rng.randint(1, 20)}-{rng.randint(1, 30)} {district}"
        phone = f"+81 {rng.choice(['70', '80', '90'])}-{digits(rng, 4)}-{digits(rng, 4)}"
    elif country == "BR":
        city, state, zipcode, area, street_name = rng.choice(BR_PLACES)
        street = f"{street_name}, {number * 2}"
        phone = f"+55 {area} 9{digits(rng, 4)}-{digits(rng, 4)}"
    elif country == "CN":
        city, state, zipcode, street_name = rng.choice(CN_PLACES)
        street = f"No. {number % 300 + 1} {street_name}"
        phone = f"+86 13{rng.randrange(10)} {digits(rng, 4)} {digits(rng, 4)}"
    else:  # pragma: no cover - the generator only uses the countries above
        raise ValueError(country)
    return {"Name": f"{first} {last}", "Street Address 1": street, "City": city, "State": state,
            "Country": country, "Zipcode": zipcode, "Phone Number": phone}


def s10(rng: random.Random, prefix: str, suffix: str) -> str:
    """A UPU S10 item number (2 letters, 8 digits, check digit, 2 letters), e.g. LX123456785CN."""
    body = digits(rng, 8)
    total = sum(int(d) * w for d, w in zip(body, (8, 6, 4, 2, 3, 5, 9, 7)))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"{prefix}{body}{check}{suffix}"


def tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "USPS":
        return "9400" + digits(rng, 18)
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRTVWXY") for _ in range(6)) + digits(rng, 10)
    if carrier == "FedEx":
        return digits(rng, 12)
    if carrier == "DHL":
        return digits(rng, 10)
    if carrier == "China Post":
        return s10(rng, rng.choice(["LX", "RR", "RB"]), "CN")
    if carrier == "WishPost":
        return s10(rng, rng.choice(["LV", "UE", "LT"]), "CN")
    if carrier == "Yanwen":
        return s10(rng, rng.choice(["UG", "VR"]), "YP")
    if carrier == "4PX":
        return "4PX" + digits(rng, 13) + "CN"
    raise ValueError(carrier)  # pragma: no cover


# --- Ordinary orders --------------------------------------------------------------------------------
def weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def product_row(sku: str, quantity: Any, price: float | None = None) -> dict[str, Any]:
    """The item columns of an order: SKU, product, quantity, unit price and shipping, total."""
    _, name, unit, shipping = next(p for p in PRODUCTS if p[0] == sku)
    unit = unit if price is None else price
    total = round(quantity * (unit + shipping), 2) if isinstance(quantity, int) else round(unit + shipping, 2)
    return {"SKU": sku, "Product ID": PRODUCT_IDS[sku], "Product": name, "Quantity": quantity, "Price": unit,
            "Shipping": shipping, "Order Total": total}


def carrier_for(rng: random.Random, origin: str, shipped: datetime) -> str:
    if origin == "US":
        return weighted(rng, [("USPS", 55), ("UPS", 20), ("FedEx", 15), ("DHL", 10)])
    # Before 2018-10-22 Wish did not require WishPost from mainland China; ordinary orders keep a day
    # clear of the start so they stay clean whichever zone that date is read in.
    if shipped < WISHPOST_START - timedelta(days=1):
        return weighted(rng, [("WishPost", 40), ("China Post", 25), ("Yanwen", 20), ("4PX", 15)])
    return "WishPost"


def ordinary_order(rng: random.Random) -> dict[str, Any]:
    """A clean order: shipped within 120 h, first scan within 168 h of release, delivered; events after
    AS_OF have not happened yet (a recent order is still unshipped, unscanned or in transit)."""
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    released = datetime.combine(day, datetime.min.time()) + timedelta(minutes=rng.randrange(24 * 60))
    if released.date() == date(2018, 11, 4) and released.hour == 1:
        released += timedelta(hours=1)
    if released > AS_OF:  # pragma: no cover - LAST_DAY ends before AS_OF
        released = AS_OF - timedelta(hours=1)
    country = weighted(rng, COUNTRY_WEIGHTS)
    origin = "CN" if country == "CN" else weighted(rng, [("CN", 70), ("US", 30)])
    ship_hours = rng.uniform(4, 100)
    shipped = later(released, ship_hours)
    scanned = later(shipped, rng.uniform(3, 40))
    if origin == "US" and country == "US":
        transit_days = rng.uniform(2, 6)
    elif origin == "US":
        transit_days = rng.uniform(5, 12)
    else:
        transit_days = rng.uniform(7, 22)
    delivered = later(scanned, transit_days * 24)
    if shipped > AS_OF:
        shipped = scanned = delivered = None
    elif scanned > AS_OF:
        scanned = delivered = None
    elif delivered > AS_OF:
        delivered = None
    quantity = weighted(rng, [(1, 75), (2, 17), (3, 6), (4, 1), (5, 1)])
    pool = [p[0] for p in PRODUCTS if p[0] != MISSING_SKU and (shipped is not None or p[0] != LOW_STOCK_SKU)]
    sku = rng.choice(pool)
    row: dict[str, Any] = {"Order ID": object_id(rng, released - timedelta(hours=8)), "Released At": released}
    row.update(product_row(sku, quantity))
    row.update(address(rng, country))
    row["Origin Country"] = origin
    row["Fake Tracking"] = False
    if shipped is None:
        row["Order State"] = "APPROVED"
    else:
        carrier = carrier_for(rng, origin, shipped)
        row.update({"Order State": "SHIPPED", "Shipping Provider": carrier,
                    "Tracking Number": tracking_number(rng, carrier), "Shipped At": shipped,
                    "Tracking Confirmed At": scanned, "Delivered At": delivered})
        if delivered is not None and rng.random() < 0.05:
            refunded = later(delivered, rng.uniform(24, 240))
            if refunded <= AS_OF:
                row.update({"Order State": "REFUNDED", "Refunded At": refunded,
                            "Refunded By": weighted(rng, [("customer", 3), ("wish", 1)]),
                            "Refund Reason": rng.choice(REFUND_REASONS_AFTER_DELIVERY)})
    if rng.random() < 0.12:
        row["Merchant Notes"] = rng.choice(NOTES)
    return row


# --- Named edge cases -------------------------------------------------------------------------------
def t(text: str) -> datetime:
    """'2018-10-31 17:00' -> naive datetime (America/Los_Angeles wall-clock time)."""
    return datetime.fromisoformat(text)


def edge_cases(rng: random.Random) -> list[dict[str, Any]]:
    """One row per situation; samples/README.md and tests/test_sample.py give the expected results."""
    rows: list[dict[str, Any]] = []

    def edge(oid: str, note: str, released: str, sku: str = "WM-EARBUD-BT5-BLK", quantity: Any = 1, *,
             country: str = "US", origin: str = "CN", state: str = "APPROVED", carrier: str | None = None,
             shipped: str | None = None, scanned: str | None = None, delivered: str | None = None,
             refunded: str | None = None, refunded_by: str | None = None, reason: str | None = None,
             **cells: Any) -> dict[str, Any]:
        row: dict[str, Any] = {"Order ID": oid, "Released At": t(released), "Order State": state}
        row.update(product_row(sku, quantity))
        row.update(address(rng, country))
        row["Origin Country"] = origin
        row["Fake Tracking"] = False
        if shipped is not None:
            carrier = carrier or ("WishPost" if origin == "CN" else "USPS")
            row.update({"Shipping Provider": carrier, "Tracking Number": tracking_number(rng, carrier),
                        "Shipped At": t(shipped)})
        for header, value in (("Tracking Confirmed At", scanned), ("Delivered At", delivered),
                              ("Refunded At", refunded)):
            if value is not None:
                row[header] = t(value)
        if refunded_by is not None:
            row["Refunded By"] = refunded_by
        if reason is not None:
            row["Refund Reason"] = reason
        for key, value in cells.items():
            row[key.replace("_", " ")] = value
        row["Merchant Notes"] = f"Sample edge case: {note}"
        rows.append(row)
        return row

    unable = "Store is unable to fulfill order"

    # Order cancellation (5.9): $2, 48 h suspension; refunded by the merchant before the first carrier scan.
    edge("E-CANCEL-TRANSITIONAL", "merchant refund before the first scan, fine generated before "
         "2018-10-31 17:00 PT: appeal until 2018-11-07 17:00 PT",
         "2018-10-22 10:15", "WM-DRESS-FLRL-M", state="REFUNDED", refunded="2018-10-24 11:40",
         refunded_by="merchant", reason=unable)
    edge("E-CANCEL-1659", "merchant refund at 2018-10-31 16:59 PT, one minute before the 3-business-day "
         "window starts: still the transitional deadline", "2018-10-30 09:20", "WM-WATCH-SS-SLV",
         state="REFUNDED", refunded="2018-10-31 16:59", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-AT-1700", "merchant refund at exactly 2018-10-31 17:00 PT: 3 business days, Wed -> Mon "
         "2018-11-05 17:00", "2018-10-29 08:00", "WM-HOODIE-GRY-L", state="REFUNDED",
         refunded="2018-10-31 17:00", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-DST", "merchant refund Fri 2018-11-02 14:30 PDT: appeal Wed 11-07 14:30 PST (across the "
         "DST end); 48 elapsed hours end Sun 11-04 13:30 PST", "2018-10-31 09:00", "WM-PWRBNK-20K",
         state="REFUNDED", refunded="2018-11-02 14:30", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-VETERANS", "merchant refund Wed 2018-11-07: 3 business days skip Veterans Day observed "
         "Mon 11-12 -> Tue 11-13", "2018-11-05 12:00", "WM-SNKR-RUN-42", state="REFUNDED",
         refunded="2018-11-07 10:00", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-THANKSGIVING", "merchant refund Tue 2018-11-20: 3 business days skip Thanksgiving "
         "Thu 11-22 -> Mon 11-26", "2018-11-19 09:30", "WM-KNIFE-SET-6", state="REFUNDED",
         refunded="2018-11-20 11:00", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-SATURDAY", "merchant refund on Sat 2018-11-17: counted from the next business day, "
         "-> Wed 11-21 12:00", "2018-11-15 20:00", "WM-TOY-RC-CAR", state="REFUNDED",
         refunded="2018-11-17 12:00", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-EVENING", "merchant refund Thu 2018-11-15 18:30 PST (already Friday in UTC): counted "
         "from the Pacific date -> Tue 11-20 18:30", "2018-11-13 07:45", "WM-LASH-3D-10P",
         state="REFUNDED", refunded="2018-11-15 18:30", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-SHIPPED-NOT-SCANNED", "marked shipped but never scanned by the carrier, then refunded by "
         "the merchant: still before confirmed fulfilment, fined", "2018-11-01 10:00", "WM-BACKPK-USB",
         state="REFUNDED", shipped="2018-11-02 09:00", refunded="2018-11-05 10:00", refunded_by="merchant",
         reason="Customer asked to cancel")
    edge("E-CANCEL-RELEASED-1701", "released 2018-10-17 17:01 PT, one minute after the policy start: fined",
         "2018-10-17 17:01", "WM-RING-925-7", state="REFUNDED", refunded="2018-10-19 10:00",
         refunded_by="merchant", reason=unable)
    edge("E-CANCEL-RELEASED-AT-CUTOFF", "released exactly 2018-10-17 17:00 PT: the policy covers orders "
         "released after it, no fine", "2018-10-17 17:00", "WM-RING-925-7", state="REFUNDED",
         refunded="2018-10-19 10:00", refunded_by="merchant", reason=unable)
    edge("E-CANCEL-EARLY-RELEASE", "released 2018-10-15, before the policy start: merchant refund not fined",
         "2018-10-15 10:00", "WM-NECK-HEART-GLD", state="REFUNDED", refunded="2018-10-18 09:00",
         refunded_by="merchant", reason=unable)
    edge("E-CANCEL-BY-CUSTOMER", "refunded by the customer before the first scan: not fined",
         "2018-10-25 13:00", "WM-SHEET-Q-WHT", country="GB", state="REFUNDED", refunded="2018-10-26 08:10",
         refunded_by="customer", reason="Customer cancelled the order")
    edge("E-CANCEL-BY-WISH", "refunded by Wish before the first scan: not fined", "2018-10-26 15:00",
         "WM-WIG-LACE-22", country="FR", state="REFUNDED", refunded="2018-10-27 10:00", refunded_by="wish",
         reason="Suspected fraud")
    edge("E-CANCEL-AFTER-SCAN", "refunded by the merchant after the first carrier scan: not fined",
         "2018-10-23 09:00", "WM-SMARTBND-M3", country="DE", state="REFUNDED", shipped="2018-10-24 10:00",
         scanned="2018-10-25 08:00", refunded="2018-10-27 12:00", refunded_by="merchant",
         reason="Customer asked to cancel")
    edge("E-REFUND-BY-CN", "Refunded By in Chinese (商户 = merchant), refunded before the first scan: fined "
         "$2, Tue 11-13 -> Fri 11-16", "2018-11-12 09:00", "WM-CAR-MOUNT-MAG", state="REFUNDED",
         refunded="2018-11-13 16:00", refunded_by="商户", reason="缺货")
    edge("E-REFUND-BY-UNKNOWN", "Refunded By 'PAYMENT_PROVIDER' is not merchant, customer or wish: warning, "
         "no fine", "2018-11-06 10:00", "WM-CHRG-USBC-2M", country="CA", state="REFUNDED",
         refunded="2018-11-07 09:00", refunded_by="PAYMENT_PROVIDER", reason="Chargeback")

    # Auto-refund (5.1): not marked shipped within 120 h of release, $50, not appealable.
    edge("E-AUTOREFUND", "never marked shipped; ship-by 2018-11-06 09:00 PST (120 elapsed hours after "
         "Thu 11-01 10:00 PDT) is past: $50", "2018-11-01 10:00", "WM-PHCASE-IP8-CLR", origin="US")
    edge("E-AUTOREFUND-AT-RISK", "not shipped yet, ship-by 2018-11-24 14:00 still ahead: at risk only",
         "2018-11-19 14:00", "WM-PHCASE-IP8-CLR", origin="US")
    edge("E-SHIPPED-AT-120H", "marked shipped at exactly release + 120 h: in time", "2018-11-05 10:00",
         "WM-BAKE-MOLD-12", origin="US", state="SHIPPED", shipped="2018-11-10 10:00",
         scanned="2018-11-11 09:00", delivered="2018-11-16 15:00")
    edge("E-SHIPPED-LATE", "marked shipped at release + 120 h + 1 min: $50", "2018-11-05 10:00",
         "WM-BAKE-MOLD-12", origin="US", state="SHIPPED", shipped="2018-11-10 10:01",
         scanned="2018-11-11 09:00", delivered="2018-11-16 15:00")

    # Late confirmed fulfilment (5.5): first scan more than 168 h after release, item under $100.
    edge("E-LCF-LATE", "first scan 195 h after release; 2 x ($10 + $2) = $24 -> 20 % = $4.80; generated "
         "before 2018-11-12: no appeal window published", "2018-10-20 09:00", "WM-BIKE-LIGHT", 2,
         country="AU", state="SHIPPED", shipped="2018-10-22 10:00", scanned="2018-10-28 12:00",
         delivered="2018-11-12 11:00")
    edge("E-LCF-MINIMUM", "first scan late on a $1 + $1 item: 20 % = $0.40, the $1.00 minimum applies",
         "2018-10-21 11:00", "WM-HAIR-CLIP-20P", country="BR", state="SHIPPED", shipped="2018-10-23 09:00",
         scanned="2018-10-30 15:00", delivered="2018-11-14 16:00")
    edge("E-LCF-AT-168H", "first scan at exactly release + 168 h: not late", "2018-10-24 09:00",
         "WM-BAKE-MOLD-12", country="JP", state="SHIPPED", shipped="2018-10-25 10:00",
         scanned="2018-10-31 09:00", delivered="2018-11-13 10:00")
    edge("E-LCF-DST-169H", "released Wed 10-31 10:00 PDT, first scan Wed 11-07 09:30 PST: 7 calendar days "
         "on the clock but 168.5 elapsed hours (DST ended): late, 20 % of $9 = $1.80", "2018-10-31 10:00",
         "WM-SUNGL-POL-BLK", country="DE", state="SHIPPED", shipped="2018-11-01 09:00",
         scanned="2018-11-07 09:30", delivered="2018-11-19 12:00")
    edge("E-LCF-HIGH-VALUE", "item of $129 + $6 scanned 384 h after release: items of $100 or more are "
         "fined only from 2019-07-09", "2018-10-03 10:00", "WM-DRONE-4K-FLD", origin="US", carrier="UPS",
         state="SHIPPED", shipped="2018-10-06 09:00", scanned="2018-10-19 10:00", delivered="2018-10-24 14:00")
    edge("E-LCF-90DAYS", "first scan late on 2018-11-13 14:20 (after 2018-11-12): appeal within 90 calendar "
         "days, same clock time -> 2019-02-11 14:20", "2018-11-05 11:00", "WM-SMARTBND-M3", country="CA",
         state="SHIPPED", shipped="2018-11-07 13:00", scanned="2018-11-13 14:20", delivered="2018-11-20 10:00")

    # Fake tracking (5.6): order value + $100 when marked shipped or modified before 2019-01-15.
    edge("E-FAKE-TRACKING", "tracking flagged as fake, marked shipped 2018-10-25: $21 + $100; generated "
         "before 2018-11-12, no appeal window published", "2018-10-24 09:00", "WM-EARBUD-BT5-BLK",
         origin="US", state="SHIPPED", shipped="2018-10-25 11:00", Fake_Tracking=True)
    edge("E-FAKE-TRACKING-MODIFIED", "tracking flagged as fake, modified 2018-11-14 09:30: 2 x $6 + $100; "
         "appeal 90 calendar days from the modification", "2018-11-09 09:00", "WM-SOCKS-5P", 2, origin="US",
         state="SHIPPED", shipped="2018-11-10 10:00", Tracking_Modified_At=t("2018-11-14 09:30"),
         Fake_Tracking=True)

    # WishPost (5.8): from 2018-10-22, orders from mainland China not shipped with WishPost, $100.
    edge("E-WISHPOST-YANWEN", "shipped from mainland China with Yanwen on 2018-11-02: $100, not appealable",
         "2018-11-01 08:00", "WM-LED-STRIP-5M", country="GB", carrier="Yanwen", state="SHIPPED",
         shipped="2018-11-02 10:00", scanned="2018-11-03 09:00", delivered="2018-11-16 13:00")
    edge("E-WISHPOST-OK", "shipped from mainland China with WishPost: no fine", "2018-11-01 08:00",
         "WM-LED-STRIP-5M", country="GB", carrier="WishPost", state="SHIPPED", shipped="2018-11-02 10:00",
         scanned="2018-11-03 09:00", delivered="2018-11-16 13:00")
    edge("E-WISHPOST-BEFORE-START", "shipped from mainland China with Yanwen on 2018-10-21 10:00 PDT, before "
         "the rule starts (2018-10-22): no fine", "2018-10-18 10:00", "WM-LED-STRIP-5M", country="FR",
         carrier="Yanwen", state="SHIPPED", shipped="2018-10-21 10:00", scanned="2018-10-23 08:00",
         delivered="2018-11-06 12:00")
    edge("E-WISHPOST-UNSHIPPED", "origin mainland China, not shipped yet: at risk (ship with WishPost)",
         "2018-11-19 10:00", "WM-LED-STRIP-5M", country="AU")
    edge("E-TWO-FINES", "shipped from mainland China with Yanwen ($100, not appealable) and first scan "
         "late on 2018-11-16 (3 x $8 -> $4.80, appeal 90 days): $104.80, deadline of the appealable one",
         "2018-11-08 10:00", "WM-NECK-HEART-GLD", 3, country="US", carrier="Yanwen", state="SHIPPED",
         shipped="2018-11-09 10:00", scanned="2018-11-16 14:00")

    # Validation: each row has exactly one problem.
    edge("E-QTY-ZERO", "quantity 0: error", "2018-11-19 11:00", "WM-SOCKS-5P", 0)
    row = edge("E-QTY-TEXT", "quantity 'abc' typed as text: error naming the cell", "2018-11-19 11:30",
               "WM-SOCKS-5P", "abc")
    row["Order Total"] = 6.00
    row = edge("E-PRICE-NEGATIVE", "price -5.00: error", "2018-11-19 12:00", "WM-RING-925-7")
    row.update(product_row("WM-RING-925-7", 1, price=-5.00))
    row = edge("E-TOTAL-MISMATCH", "order total 65.00 but 2 x ($29 + $6) = 70.00: error", "2018-11-19 12:30",
               "WM-BACKPK-USB", 2)
    row["Order Total"] = 65.00
    row = edge("E-COUNTRY-XX", "country 'XX' is not an ISO code: error, contact the customer (on hold)",
               "2018-11-19 13:00", "WM-NECK-HEART-GLD")
    row["Country"] = "XX"
    row = edge("E-ZIP-US-BAD", "US zip code '9410' (4 digits): warning, contact the customer (on hold)",
               "2018-11-19 13:30", "WM-NECK-HEART-GLD")
    row.update({"City": "San Francisco", "State": "CA", "Zipcode": "9410"})
    row = edge("E-PHONE-SHORT", "phone number '12': warning, contact the customer (on hold)", "2018-11-19 14:30",
               "WM-CAR-MOUNT-MAG")
    row["Phone Number"] = "12"
    row = edge("E-TRACKING-SPACE", "tracking number with spaces: error", "2018-11-12 10:00", "WM-WATCH-SS-SLV",
               origin="US", state="SHIPPED", shipped="2018-11-13 09:00", scanned="2018-11-14 07:00")
    row["Tracking Number"] = "9400 1118 9922 3845 7710 42"
    row = edge("E-SHIPPED-NO-TRACKING", "marked shipped with USPS but no tracking number: error",
               "2018-11-18 10:00", "WM-WATCH-SS-SLV", origin="US", state="SHIPPED", shipped="2018-11-20 09:00")
    row["Tracking Number"] = None
    row = edge("E-DUPLICATE-ID", "the same order pasted twice (two rows): error on both", "2018-10-28 09:00",
               "WM-TENT-2P", country="DE", state="SHIPPED", shipped="2018-10-29 10:00", scanned="2018-10-30 08:00",
               delivered="2018-11-13 15:00")
    rows.append(dict(row))
    edge("E-SKU-UNKNOWN", f"SKU {MISSING_SKU} is not in the Inventory sheet: error", "2018-11-20 08:00",
         MISSING_SKU, origin="US")
    edge("E-STOCK-RESERVED", f"open order of 2 x {LOW_STOCK_SKU} (3 in stock), released first: gets its stock",
         "2018-11-19 08:00", LOW_STOCK_SKU, 2, origin="US")
    edge("E-STOCK-SHORT", f"open order of 2 x {LOW_STOCK_SKU} released later: only 1 left, error",
         "2018-11-19 16:00", LOW_STOCK_SKU, 2, origin="US")
    row = edge("E-NAME-FORMULA", "a Name starting with '=': stays text, never becomes a formula",
               "2018-10-27 10:00", "WM-SHEET-Q-WHT", origin="US", state="SHIPPED", shipped="2018-10-28 09:00",
               scanned="2018-10-28 17:00", delivered="2018-11-01 12:00")
    row["Name"] = '=HYPERLINK("http://example.com","Jane Doe")'

    # Workflow.
    edge("E-REVIEW-HOLD", "Wish state REQUIRE_REVIEW (fraud review): on hold", "2018-11-20 10:00",
         "WM-PROJ-MINI", origin="US", state="REQUIRE_REVIEW")
    edge("E-DELIVERED", "shipped, scanned and delivered in time", "2018-10-10 09:00", "WM-GUITAR-AC-38",
         origin="US", state="SHIPPED", carrier="FedEx", shipped="2018-10-11 15:00", scanned="2018-10-11 21:00",
         delivered="2018-10-15 13:00")
    edge("E-TRACKING-EXCEPTION", "the carrier reports an exception, not delivered: exception",
         "2018-11-02 09:00", "WM-VAC-ROBOT-S1", origin="US", state="SHIPPED", carrier="UPS",
         shipped="2018-11-03 10:00", scanned="2018-11-03 18:00",
         Tracking_Exception="Returned to sender: address unknown")
    edge("E-STATE-UNKNOWN", "Order State 'DELAYING' is not an API state: warning, status from the data",
         "2018-11-20 07:00", "WM-TOY-RC-CAR", origin="US", state="DELAYING")
    return rows


# --- Workbook -------------------------------------------------------------------------------------
PRODUCT_IDS: dict[str, str] = {}


def build_rows(rng: random.Random) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """The Orders rows (ordinary ones by release time, then the edge cases) and the Inventory rows."""
    PRODUCT_IDS.clear()
    for sku, *_ in PRODUCTS:
        PRODUCT_IDS[sku] = object_id(rng, datetime(2018, 3, 1) + timedelta(hours=rng.randrange(24 * 150)))
    ordinary = sorted((ordinary_order(rng) for _ in range(N_ORDINARY)), key=lambda r: r["Released At"])
    rows = ordinary + edge_cases(rng)
    open_quantity: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.get("Shipped At") is None and row.get("Refunded At") is None and isinstance(row["Quantity"], int):
            open_quantity[row["SKU"]] += max(row["Quantity"], 0)
    inventory = []
    for sku, *_ in PRODUCTS:
        if sku == MISSING_SKU:
            continue
        stock = LOW_STOCK if sku == LOW_STOCK_SKU else open_quantity[sku] + rng.randint(12, 400)
        inventory.append((sku, stock))
    return rows, inventory


def write_workbook(path: str | Path) -> None:
    """Write the sample workbook to `path` (same content every time)."""
    rng = random.Random(SEED)
    rows, inventory = build_rows(rng)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    book.set_properties({"title": "Wish orders: wishxl sample", "author": "wishxl samples/make_sample.py",
                         "comments": "Generated by samples/make_sample.py; do not edit by hand.",
                         "created": CREATED})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = book.add_format({"num_format": "0.00"})

    sheet = book.add_worksheet("Orders")
    for c, name in enumerate(HEADERS):
        sheet.write_string(0, c, name, header)
        width = 17 if name in DATETIME_HEADERS else WIDTHS.get(name, max(len(name) + 2, 10))
        sheet.set_column(c, c, width)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(HEADERS):
            value = row.get(name)
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value, money if name in MONEY_HEADERS else None)
            else:
                sheet.write_string(r, c, str(value))  # text stays text: '=...' never becomes a formula
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, len(rows), len(HEADERS) - 1)

    stock = book.add_worksheet("Inventory")
    stock.write_string(0, 0, "SKU", header)
    stock.write_string(0, 1, "Stock", header)
    stock.set_column(0, 0, 22)
    for r, (sku, amount) in enumerate(inventory, start=1):
        stock.write_string(r, 0, sku)
        stock.write_number(r, 1, amount)
    book.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python samples/make_sample.py samples/orders.xlsx", file=sys.stderr)
        return 2
    write_workbook(args[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
