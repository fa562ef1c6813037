"""Shopify's standard exports, recognised by their headers and read into canonical fields.

Orders export (Admin → Orders → Export): one row per line item; order-level fields
(Financial Status, Total, Cancelled at, Accepts Marketing, …) only on an order's first
row. Customers export (Admin → Customers → Export), in its current form
(``Accepts Email Marketing``, ``Default Address …``) and its older one
(``Accepts Marketing``, ``Address1``, ``Province Code``, …).

Shopify customers are identified by email: the external id is the email, lower-cased,
so orders and customers exported separately meet.
"""

from __future__ import annotations

from planner.files.layout import Layout, find_columns, positions

ORDERS_SIGNATURE = ("Name", "Email", "Financial Status", "Created at", "Lineitem name", "Lineitem quantity")
CUSTOMERS_SIGNATURE = ("First Name", "Last Name", "Email", "Total Spent", "Total Orders")

# Financial Status → delight's status. Only money actually kept is a purchase.
FINANCIAL_STATUSES = {
    "paid": "paid",
    "partially_paid": "paid",
    "partially_refunded": "paid",
    "authorized": "paid",
    "pending": "paid",
    "refunded": "refunded",
    "voided": "cancelled",
    "expired": "cancelled",
}

ORDER_COLUMNS = {
    "order_id": ("Name",),
    "email": ("Email",),
    "name": ("Billing Name", "Shipping Name"),
    "address_name": ("Shipping Name",),
    "placed_at": ("Created at",),
    "total": ("Total",),
    "currency": ("Currency",),
    "item_name": ("Lineitem name",),
    "item_sku": ("Lineitem sku", "Lineitem SKU"),
    "quantity": ("Lineitem quantity",),
    "unit_price": ("Lineitem price",),
    # Read for the customer an order creates; not order fields.
    "financial_status": ("Financial Status",),
    "cancelled_at": ("Cancelled at",),
    "accepts_marketing": ("Accepts Marketing", "Accepts Email Marketing"),
    "phone": ("Shipping Phone", "Billing Phone", "Phone"),
    "address1": ("Shipping Address1",),
    "address2": ("Shipping Address2",),
    "city": ("Shipping City",),
    "region": ("Shipping Province", "Shipping Province Name"),
    "postal_code": ("Shipping Zip",),
    "country": ("Shipping Country",),
}

CUSTOMER_COLUMNS = {
    "shopify_id": ("Customer ID", "ID", "Id"),
    "first_name": ("First Name",),
    "last_name": ("Last Name",),
    "email": ("Email",),
    "phone": ("Phone", "Default Address Phone"),
    "address1": ("Default Address Address1", "Address1"),
    "address2": ("Default Address Address2", "Address2"),
    "city": ("Default Address City", "City"),
    "region": ("Default Address Province Code", "Province Code", "Province"),
    "postal_code": ("Default Address Zip", "Zip"),
    "country": ("Default Address Country Code", "Country Code", "Country"),
    "accepts_marketing": ("Accepts Email Marketing", "Accepts Marketing"),
}


def detect(kind: str, header: list[str]) -> bool:
    """True when ``header`` is Shopify's export for ``kind``."""
    names = set(positions(header))
    signature = {"orders": ORDERS_SIGNATURE, "customers": CUSTOMERS_SIGNATURE}.get(kind)
    if signature is None:
        return False
    has_marketing = kind == "orders" or bool(names & {"Accepts Email Marketing", "Accepts Marketing"})
    return set(signature) <= names and has_marketing


def missing_columns(kind: str, header: list[str]) -> list[str]:
    """The signature columns ``header`` lacks, for an error message."""
    names = set(positions(header))
    signature = {"orders": ORDERS_SIGNATURE, "customers": CUSTOMERS_SIGNATURE}.get(kind, ())
    return [name for name in signature if name not in names]


def layout(kind: str, header: list[str]) -> Layout:
    """The layout for a Shopify export of ``kind`` (already recognised by ``detect``)."""
    if kind == "orders":
        derived = frozenset({"customer_id", "status", "do_not_contact"})
        return Layout("Shopify orders export", find_columns(header, ORDER_COLUMNS), _finish_order, derived)
    derived = frozenset({"customer_id", "do_not_contact"})
    return Layout("Shopify customers export", find_columns(header, CUSTOMER_COLUMNS), _finish_customer, derived)


def _unquote(value: str) -> str:
    # Shopify prefixes zips and phones with ' so that Excel keeps their leading zeros.
    return value[1:] if value.startswith("'") else value


def _finish_order(record: dict[str, str]) -> dict[str, str]:
    email = record.get("email", "")
    record["customer_id"] = email.lower()
    financial = record.pop("financial_status", "").lower()
    cancelled = record.pop("cancelled_at", "")
    if cancelled:
        record["status"] = "cancelled"
    elif financial:
        record["status"] = FINANCIAL_STATUSES.get(financial, financial)
    else:
        record["status"] = ""
    return _contact_fields(record)


def _finish_customer(record: dict[str, str]) -> dict[str, str]:
    email = record.get("email", "")
    shopify_id = _unquote(record.pop("shopify_id", ""))
    record["customer_id"] = email.lower() if email else (f"shopify:{shopify_id}" if shopify_id else "")
    return _contact_fields(record)


def _contact_fields(record: dict[str, str]) -> dict[str, str]:
    """Marketing consent as do-not-contact, and phone and postal code without Shopify's quote mark."""
    marketing = record.pop("accepts_marketing", "").lower()
    record["do_not_contact"] = {"no": "yes", "yes": "no"}.get(marketing, "")
    for name in ("phone", "postal_code"):
        if name in record:
            record[name] = _unquote(record[name])
    return record
