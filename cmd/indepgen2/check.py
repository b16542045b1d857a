#!/usr/bin/env python3
"""Sanity summary of a generated population: check.py DIR (expects ev.jsonl, labels.jsonl, optional truth.jsonl)."""
import json, sys, collections, statistics as st
d = sys.argv[1]
labels = {}
for ln in open(f"{d}/labels.jsonl"):
    o = json.loads(ln); labels[o["account_id"]] = o
ev_per_acct = collections.Counter(); types = collections.Counter()
v6 = 0; n = 0; ids = set(); prev = ""; sorted_ok = True; fails = 0
sess_per_acct = collections.Counter(); dev_per_acct = collections.defaultdict(set); ip_per_acct = collections.defaultdict(set)
missing = 0
for ln in open(f"{d}/ev.jsonl"):
    o = json.loads(ln); n += 1
    if o["time"] < prev: sorted_ok = False
    prev = o["time"]
    ids.add(o["event_id"])
    for k in ("event_id", "type", "time", "account_id", "ip"):
        if k not in o: missing += 1
    if o["type"] == "login":
        if "device_id" not in o: missing += 1
        sess_per_acct[o["account_id"]] += 1
        dev_per_acct[o["account_id"]].add(o["device_id"])
        if o.get("success") is False: fails += 1
    a = o["account_id"]; ev_per_acct[a] += 1; types[o["type"]] += 1
    ip_per_acct[a].add(o["ip"])
    if ":" in o["ip"]: v6 += 1
print(f"events={n} unique_ids={len(ids)==n} sorted={sorted_ok} missing_required={missing} types={dict(types)}")
print(f"ipv6 share={v6/n:.3f} failed logins={fails} accounts={len(labels)} accounts_with_events={len(ev_per_acct)}")
by = collections.defaultdict(list)
for a, l in labels.items(): by[l["scenario"]].append(a)
print(f"{'scenario':18} {'n':>5} {'share':>6} {'sharing':>7} {'ev/acct med':>11} {'logins/acct med':>15} {'devices med':>11} {'ips med':>7}")
for sc in ["solo","household","traveller","two_homes","mobile_heavy","vpn_user","friend_sharer","same_city_sharer","reseller"]:
    acc = by.get(sc, [])
    if not acc: print(sc, 0); continue
    print(f"{sc:18} {len(acc):5} {len(acc)/len(labels):6.3f} {sum(labels[a]['sharing'] for a in acc):7} "
          f"{st.median([ev_per_acct[a] for a in acc]):11.0f} {st.median([sess_per_acct[a] for a in acc]):15.0f} "
          f"{st.median([len(dev_per_acct[a]) for a in acc]):11.0f} {st.median([len(ip_per_acct[a]) for a in acc]):7.0f}")
starts = collections.Counter((l["sharing_start"] or "")[:10] for l in labels.values() if l["sharing"])
print("sharing_start dates (top):", starts.most_common(6))
try:
    truth = [json.loads(l) for l in open(f"{d}/truth.jsonl")]
except FileNotFoundError:
    truth = []
km = sorted(t["friend_km"] for t in truth if t["scenario"] == "friend_sharer")
if km:
    q = lambda p: km[min(len(km)-1, int(p*len(km)))]
    print(f"friend_sharer distance km: n={len(km)} min={km[0]} p10={q(.1)} p25={q(.25)} median={q(.5)} p75={q(.75)} p90={q(.9)} max={km[-1]}")
    bins = [50,100,250,500,1000,2000]
    h = collections.Counter(next(b for b in bins if k <= b) for k in km)
    print("  histogram (<= km):", {b: h[b] for b in bins})
    print("  friend abroad:", sum(1 for t in truth if t["scenario"]=="friend_sharer" and t["friend"].split(", ")[-1] != t["home"].split(", ")[-1]))
sc = [t for t in truth if t["scenario"] == "same_city_sharer"]
if sc: print(f"same_city_sharer: same ISP as owner {sum(t['friend_same_isp'] for t in sc)}/{len(sc)}")
pol = collections.Counter(t["ip_policy"] for t in truth)
if pol: print("home IP policy:", dict(pol))
hc = collections.Counter(t["home"].split(", ")[-1] for t in truth)
if hc: print("home countries:", hc.most_common())
