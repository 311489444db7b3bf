"""faiss IndexFlatL2 reference for bench/search.ts.

Reads the gallery and the queries (float32, row-major) from files, builds an
IndexFlatL2, searches top-k one query at a time and as one batch, and prints
one JSON line: build seconds, queries/s both ways, the batch's neighbour ids.
"""
import argparse, json, sys, time

from faiss_inputs import parse_and_load

def main():
    ap = argparse.ArgumentParser()
    loaded = parse_and_load(ap)
    if loaded is None:
        return
    a, np, faiss, g, q = loaded
    t = time.perf_counter()
    index = faiss.IndexFlatL2(a.dim)
    index.add(g)
    build = time.perf_counter() - t
    index.search(q[:10], a.k)  # warm-up
    batched = []
    for _ in range(3):
        t = time.perf_counter()
        _, ids = index.search(q, a.k)
        batched.append(time.perf_counter() - t)
    n1 = min(a.single, len(q))
    t = time.perf_counter()
    for i in range(n1):
        index.search(q[i:i + 1], a.k)
    single = time.perf_counter() - t
    print(json.dumps({
        'faiss': faiss.__version__, 'threads': a.threads, 'build_s': build,
        'batched_qps': len(q) / min(batched), 'single_qps': n1 / single,
        'ids': ids.tolist(),
    }))

if __name__ == '__main__':
    sys.exit(main())
