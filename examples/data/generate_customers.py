#!/usr/bin/env python3
"""Writes a synthetic customer CSV for `rapport import` (docs/cli.md, "Formats").

Chinese and Latin names, addresses with commas, notes with line breaks, tags as `a;b`, and
interactions and contacts as JSON cells, so the file exercises every part of the format.
Deterministic for a given --seed; dates are spread around --today (default 2026-03-01).
Python 3 standard library only.

    python3 generate_customers.py --rows 200 --seed 7 > customers_sample.csv
    python3 generate_customers.py --rows 100000 --output /tmp/customers_100k.csv
"""
import argparse
import csv
import datetime
import json
import random
import sys

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅鑫宇浩然子涵雨欣佳琪"
LATIN_FIRST = ["Anna", "Ben", "Chloe", "David", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonas",
               "Klara", "Liam", "Mia", "Noah", "Olivia", "Paul", "Rosa", "Sam", "Tara", "Victor"]
LATIN_LAST = ["Müller", "Smith", "García", "Rossi", "Dubois", "Novak", "Jensen", "O'Brien",
              "Kowalski", "Santos", "Nguyen", "Wang", "Li", "Schmidt", "Martin"]
COMPANY_CN = ["茶馆", "贸易有限公司", "电子科技", "五金店", "餐饮管理", "服装店", "建材商行"]
COMPANY_EN = ["Trading Co.", "Tea House", "Electronics Ltd", "Hardware", "Logistics", "Bakery"]
CITIES = [("杭州", "east"), ("上海", "east"), ("北京", "north"), ("广州", "south"),
          ("成都", "west"), ("Munich", "europe"), ("Lyon", "europe"), ("Singapore", "asia")]
BRANCHES = {"east": "branch-sh", "north": "branch-bj", "south": "branch-gz", "west": "branch-cd",
            "europe": "branch-eu", "asia": "branch-sg"}
INDUSTRIES = ["retail", "catering", "manufacturing", "wholesale", "services", "construction"]
LIFECYCLE = ["non_customer", "potential", "target", "current", "current", "current", "lost"]
LOYALTY = ["potential", "new", "repeat", "loyal"]
TAGS = ["vip", "wechat", "trade-fair", "referral", "price-sensitive", "重点", "export"]
LEVELS = ["very_satisfied", "satisfied", "fairly_satisfied", "neutral", "somewhat_dissatisfied",
          "dissatisfied", "very_dissatisfied"]
KINDS = ["visit", "call", "order", "order", "complaint", "survey", "email"]

HEADER = ["external_key", "name", "phone", "email", "city", "address", "legal_representative",
          "personality", "birthday", "founding_date", "first_transaction_date", "industry",
          "lifecycle_stage", "loyalty_stage", "owner", "territory", "branch", "tags",
          "loyalty_points", "purchase_count", "lifetime_value_cents", "membership_level",
          "next_follow_up", "interactions", "contacts"]


def person_name(rng):
    if rng.random() < 0.6:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return f"{rng.choice(LATIN_FIRST)} {rng.choice(LATIN_LAST)}"


def customer_name(rng, person):
    """The person, or a company named after them (Chinese style for Chinese names)."""
    roll = rng.random()
    if roll < 0.45:
        return person
    if " " not in person:
        return rng.choice(["杭州", "上海", "宁波", "苏州"]) + person[:1] + rng.choice(COMPANY_CN)
    return f"{person.split(' ')[-1]} {rng.choice(COMPANY_EN)}"


def day(base, offset):
    return (base + datetime.timedelta(days=offset)).isoformat()


def row(rng, i, today):
    person = person_name(rng)
    city, territory = rng.choice(CITIES)
    stage = rng.choice(LIFECYCLE)
    orders = rng.randint(0, 12) if stage in ("current", "lost") else 0
    value = sum(rng.choice([5000, 12000, 30000, 80000, 250000]) for _ in range(orders))
    interactions = []
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(KINDS)
        at = datetime.datetime.combine(today, datetime.time(9, 0)) - datetime.timedelta(
            days=rng.randint(0, 400), minutes=rng.randint(0, 600))
        entry = {"occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "kind": kind,
                 "author": f"rep-{rng.randint(1, 9)}"}
        if kind == "survey":
            entry["expected_score"] = float(rng.randint(60, 90))
            entry["perceived_score"] = float(rng.randint(50, 100))
            entry["satisfaction_level"] = rng.choice(LEVELS)
        elif kind == "order":
            entry["order_value_cents"] = rng.choice([5000, 12000, 30000])
        else:
            entry["summary"] = rng.choice(["samples sent", "价格谈判", "asked for a quote, again",
                                           "投诉: delivery late"])
        interactions.append(entry)
    interactions.sort(key=lambda e: e["occurred_at"])
    contacts = {}
    if rng.random() < 0.3:
        contacts["c1"] = {"name": person_name(rng), "role": rng.choice(["buyer", "采购经理"])}
        if rng.random() < 0.5:
            contacts["c1"]["birthday"] = day(datetime.date(1980, 1, 1), rng.randint(0, 7000))
    return [
        f"K{i:07d}",
        customer_name(rng, person),
        f"+86 1{rng.randint(30, 89)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        f"c{i}@example.com" if rng.random() < 0.7 else "",
        city,
        f"No. {rng.randint(1, 300)}, {rng.choice(['Jiefang Rd', '解放路', 'Main St'])}, {city}",
        person,
        "calm\nlikes tea" if rng.random() < 0.1 else "",
        day(datetime.date(1960, 1, 1), rng.randint(0, 15000)) if rng.random() < 0.6 else "",
        day(datetime.date(1990, 1, 1), rng.randint(0, 12000)) if rng.random() < 0.3 else "",
        day(today, -rng.randint(30, 3000)) if orders else "",
        rng.choice(INDUSTRIES),
        stage,
        rng.choice(LOYALTY) if rng.random() < 0.9 else "",
        f"rep-{rng.randint(1, 9)}",
        territory,
        BRANCHES[territory],
        ";".join(sorted(set(rng.sample(TAGS, rng.randint(0, 3))))),
        str(rng.randint(0, 5000)),
        str(orders),
        str(value),
        rng.choice(["", "standard", "silver", "gold", "platinum"]),
        day(today, rng.randint(-10, 30)) if rng.random() < 0.4 else "",
        json.dumps(interactions, ensure_ascii=False) if interactions else "",
        json.dumps(contacts, ensure_ascii=False) if contacts else "",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", default="2026-03-01", help="YYYY-MM-DD the dates centre on")
    parser.add_argument("--output", help="file to write (default: stdout)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    today = datetime.date.fromisoformat(args.today)
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(1, args.rows + 1):
        writer.writerow(row(rng, i, today))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
