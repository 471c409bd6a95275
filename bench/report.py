"""The bench's results as JSON and as the markdown table the README shows, with the
targets of issue 8 checked against the floor measured in the same run."""

import json
from pathlib import Path

DASHBOARD_HOPS = 2  # see gateway/gateway/routes_dashboard.py: principal, then the parts at once
READ_RPC = {"me": 1, "dashboard": 5}


def _ratio(a, b, digits=1):
    if a is None or not b:
        return None
    return round(a / b, digits)


def targets(results):
    """Each target with what was measured and whether it was met."""
    out = []
    nameko = results.get("floor", {}).get("nameko")
    if not nameko:
        return out
    rpc_p50 = nameko["sequential"]["p50_ms"]
    pipelined = nameko["pipelined"]["calls_per_second"]
    dashboard = results.get("reads", {}).get("dashboard", {})
    one = dashboard.get(1) or dashboard.get("1")
    if one:
        limit = 1.5 * rpc_p50 * DASHBOARD_HOPS
        out.append(
            {
                "target": "dashboard p50 (1 client) ≤ 1.5 × nameko RPC p50 "
                f"× {DASHBOARD_HOPS} hops",
                "limit": f"{limit:.1f} ms",
                "measured": f"{one['p50_ms']:.1f} ms ({one['p50_ms'] / rpc_p50:.1f} × RPC p50)",
                "met": one["p50_ms"] <= limit,
            }
        )
    journeys = results.get("journeys", {})
    j32 = journeys.get(32) or journeys.get("32")
    if j32:
        carried = j32["journeys_per_second"] * j32["rpc_calls_per_journey"]
        out.append(
            {
                "target": "journeys/s × RPC calls per journey (32 clients) "
                "≥ ½ pipelined nameko RPC floor",
                "limit": f"{pipelined / 2:.0f} calls/s",
                "measured": f"{j32['journeys_per_second']:.1f} × {j32['rpc_calls_per_journey']:.1f}"
                f" = {carried:.0f} calls/s ({carried / pipelined:.2f} of the floor)",
                "met": carried >= pipelined / 2,
            }
        )
    phases = list(results.get("scale", {}).get("phases", {}).values())
    if len(phases) == 2:
        small, large = phases[0]["reads"], phases[1]["reads"]
        for name in small:
            growth = _ratio(large[name]["p50_ms"], small[name]["p50_ms"], 2)
            out.append(
                {
                    "target": f"{name}: p50 at 1,000,000 appeals ≤ 2 × at 100,000",
                    "limit": "2.0 ×",
                    "measured": f"{growth} × ({_ms(small[name]['p50_ms'])} → "
                    f"{_ms(large[name]['p50_ms'])} ms)",
                    "met": growth is not None and growth <= 2,
                }
            )
    return out


def write_reports(results, plans, out_dir):
    out_dir = Path(out_dir)
    results["targets"] = targets(results)
    (out_dir / "latest.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2, default=str)
    )
    if plans:
        lines = []
        for phase, found in plans.items():
            for name, profile in found.items():
                for statement in profile["statements"]:
                    lines += [f"## {phase}: {name}", statement["sql"], "", statement["plan"], ""]
        (out_dir / "latest-plans.txt").write_text("\n".join(lines))
    (out_dir / "latest.md").write_text(markdown(results))


def _ms(value):
    return "–" if value is None else f"{value:.1f}"


def markdown(r):
    m = r["machine"]
    v = r.get("versions", {})
    lines = [
        f"`{r['command']}` at {r['started_at']} (commit {r.get('commit')}), "
        f"{r['duration_s'] / 60:.1f} min in all, on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB RAM; RabbitMQ {v.get('rabbitmq', '?')}, "
        f"PostgreSQL {v.get('postgresql', '?')}, Python {m['python']}. "
        f"Load average {' '.join(map(str, r['loadavg_start']))} at the start, "
        f"{' '.join(map(str, r['loadavg_end']))} at the end.",
        "",
    ]
    floor = r.get("floor")
    if floor:
        rpc_p50 = floor["nameko"]["sequential"]["p50_ms"]
        pipelined = floor["nameko"]["pipelined"]["calls_per_second"]
        lines += [
            "**The floor** (sequential and pipelined: one client, pipelined with 50 calls "
            "in flight; 8 callers: eight clients calling in turn at once)",
            "",
            "| round trip | p50 ms | p99 ms | pipelined calls/s | 8 callers calls/s |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, label in (
            ("amqp", "raw AMQP request/reply (kombu echo)"),
            ("nameko", "nameko RPC to an echo service"),
        ):
            f = floor[name]
            lines.append(
                f"| {label} | {_ms(f['sequential']['p50_ms'])} | {_ms(f['sequential']['p99_ms'])}"
                f" | {f['pipelined']['calls_per_second']:.0f} | "
                f"{f.get('concurrent', {}).get('calls_per_second', 0):.0f} |"
            )
        lines.append("")
    reads = r.get("reads")
    if reads and floor:
        lines += [
            "**Gateway reads** (ratio: p50 ÷ nameko RPC p50; bus share: requests/s × RPC calls "
            "each ÷ pipelined RPC floor)",
            "",
            "| read | clients | p50 ms | p99 ms | requests/s | p50 ÷ RPC p50 | bus share |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, label in (
            ("me", "me, `GET /me` (1 RPC)"),
            ("dashboard", "dashboard, `GET /communities/{community_id}/dashboard` (5 RPC, 2 hops)"),
        ):
            for clients, f in reads[name].items():
                share = f["per_second"] * READ_RPC[name] / pipelined
                lines.append(
                    f"| {label} | {clients} | {_ms(f['p50_ms'])} | {_ms(f['p99_ms'])} | "
                    f"{f['per_second']:.0f} | {f['p50_ms'] / rpc_p50:.1f} | {share:.2f} |"
                    + (f" {f['errors']} errors" if f["errors"] else "")
                )
        lines.append("")
    parts = r.get("read_parts")
    if parts and floor:
        lines += [
            "**The RPCs behind them**, each alone, one at a time, through nameko's proxy "
            "(the dashboard's critical path: the principal, then the slowest of appeals, "
            "volunteer and funding; grid's coverage runs beside the principal)",
            "",
            "| call | p50 ms | p99 ms | p50 ÷ RPC p50 |",
            "|---|---:|---:|---:|",
        ]
        for name, f in parts.items():
            lines.append(
                f"| {name} | {_ms(f['p50_ms'])} | {_ms(f.get('p99_ms'))} | "
                f"{f['p50_ms'] / rpc_p50:.1f} |"
            )
        lines.append("")
    journeys = r.get("journeys")
    if journeys and floor:
        lines += [
            "**Appeal journeys** (submit → dispatched → claim → resolve → rate → the handler's "
            "stars visible; stars: from the rating's answer to the stars in "
            "`GET /stars/{handler}`)",
            "",
            "| clients | journeys/s | journey p50 ms | p99 ms | stars p50 ms | stars p99 ms | "
            "RPC calls a journey (broker) | RPC calls/s ÷ pipelined floor |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for clients, f in journeys.items():
            carried = f["journeys_per_second"] * f["rpc_calls_per_journey"]
            lines.append(
                f"| {clients} | {f['journeys_per_second']:.1f} | {_ms(f['p50_ms'])} | "
                f"{_ms(f['p99_ms'])} | {_ms(f['propagation']['p50_ms'])} | "
                f"{_ms(f['propagation']['p99_ms'])} | {f['rpc_calls_per_journey']:.1f} "
                f"({f.get('rpc_calls_per_journey_broker', '–')}) | {carried / pipelined:.2f} |"
                + (f" {f['errors']} errors" if f["errors"] else "")
            )
        lines.append("")
    cpu_rows = []
    for name, label in (("me", "`GET /me`"), ("dashboard", "dashboard")):
        for clients, f in (r.get("reads", {}).get(name) or {}).items():
            if f.get("cpu_ms_per_request"):
                cpu_rows.append((f"{label} ×{clients}, a request", f["cpu_ms_per_request"]))
    for clients, f in (journeys or {}).items():
        if f.get("cpu_ms_per_journey"):
            cpu_rows.append((f"journey ×{clients}", f["cpu_ms_per_journey"]))
    if cpu_rows:
        names = list(cpu_rows[0][1])
        lines += [
            "**Where the CPU goes** (milliseconds of CPU per request or journey, by process, "
            "from /proc; PostgreSQL counts all its processes, other users' too)",
            "",
            "| work | " + " | ".join(names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        for label, row in cpu_rows:
            lines.append(f"| {label} | " + " | ".join(f"{row.get(n, 0):.1f}" for n in names) + " |")
        lines.append("")
    scale = r.get("scale")
    if scale and len(scale.get("phases", {})) == 2:
        (small_label, small), (large_label, large) = scale["phases"].items()
        lay = scale["layout"]
        lines += [
            f"**Scale on PostgreSQL** ({lay['communities']} communities, {lay['residents']:,} "
            f"residents, {lay['households']:,} households; {small['rows']['ledger_entries']:,} "
            f"then {large['rows']['ledger_entries']:,} ledger entries; "
            f"{scale.get('clients', 8)} clients, each a "
            f"community's admin; in-process: the service's use case alone, no bus, no gateway)",
            "",
            f"| read | {small_label} p50 / p99 ms | {large_label} p50 / p99 ms | growth (p50) | "
            "in-process p50 ms | answer bytes |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, f in small["reads"].items():
            g = large["reads"][name]
            inner = [x.get("in_process", {}).get("p50_ms") for x in (f, g)]
            lines.append(
                f"| {name} | {_ms(f['p50_ms'])} / {_ms(f['p99_ms'])} | {_ms(g['p50_ms'])} / "
                f"{_ms(g['p99_ms'])} | {_ratio(g['p50_ms'], f['p50_ms'], 2)} × | "
                f"{_ms(inner[0])} → {_ms(inner[1])} | {f.get('response_bytes')} → "
                f"{g.get('response_bytes')} |"
                + (f" {f['errors'] + g['errors']} errors" if f["errors"] + g["errors"] else "")
            )
        lines += [
            "",
            f"Bulk load: district {scale['load_people_s']} s, then {small['load_s']} s to "
            f"{small_label} and {large['load_s']} s to {large_label} "
            f"({large['rows']['timeline_entries']:,} timeline entries); invariants checked in "
            f"{scale['verify_s']} s: " + ("; ".join(scale["problems"]) or "all hold") + ".",
            "",
        ]
    memory = r.get("memory")
    if memory:
        lines += [
            "**Memory after the run** (VmRSS; peak VmHWM)",
            "",
            "| process | RSS MiB | peak MiB |",
            "|---|---:|---:|",
        ]
        for name, f in memory.items():
            lines.append(f"| {name} | {f['rss_mib']} | {f['peak_rss_mib']} |")
        lines.append("")
    if r.get("targets"):
        lines += ["**Targets**", "", "| target | limit | measured | met |", "|---|---|---|---|"]
        for t in r["targets"]:
            lines.append(
                f"| {t['target']} | {t['limit']} | {t['measured']} | "
                f"{'yes' if t['met'] else '**no**'} |"
            )
        lines.append("")
    if r.get("process_failures"):
        lines += [f"Processes that died during the run: {r['process_failures']}", ""]
    return "\n".join(lines)
