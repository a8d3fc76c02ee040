"""Render time of translated templates: each of Ollama's 20 shipped templates with a
20-message conversation, first render (parse, translate, compile) and then the
average of 200 renders (the compiled template is cached).

    python benchmarks/template_render.py
"""

from __future__ import annotations

import time

from modelfile import template
from modelfile.template.environment import compile_jinja
from modelfile.template.named import index
from modelfile.template.translate import translate_template


def conversation(turns: int = 20) -> dict[str, object]:
    messages = [{"role": "system", "content": "You are a helpful assistant."}]
    for i in range(turns - 1):
        role = "user" if i % 2 == 0 else "assistant"
        messages.append({"role": role, "content": f"message {i}: " + "lorem ipsum dolor sit amet " * 8})
    return {"messages": messages, "tools": None}


def main() -> None:
    values = conversation()
    rows = []
    for entry in sorted({t.name: t for t in index()}.values(), key=lambda t: t.name):
        translate_template.cache_clear()
        compile_jinja.cache_clear()
        start = time.perf_counter()
        template.render(entry.template, values)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(200):
            template.render(entry.template, values)
        rows.append((entry.name, first * 1e3, (time.perf_counter() - start) / 200 * 1e3))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'template':<{width}}  first ms  cached ms")
    for name, first, cached in rows:
        print(f"{name:<{width}}  {first:8.2f}  {cached:9.3f}")
    worst = max(cached for _, _, cached in rows)
    print(f"slowest cached render: {worst:.3f} ms (limit 50 ms; {50 / worst:.0f}x under)")
    print(f"first render / cached render, median: {sorted(f / c for _, f, c in rows)[len(rows) // 2]:.0f}x")


if __name__ == "__main__":
    main()
