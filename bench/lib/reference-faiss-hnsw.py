"""faiss IndexHNSWFlat reference for `bench/search.ts --scale`.

Reads the gallery and the queries (float32, row-major) from files. The exact
top-k (IndexFlatL2, batched) is the truth for recall; it is written to
--truth (int32) and read back from there when that file exists. Then builds
IndexHNSWFlat(dim, M) with efConstruction and, for each efSearch, measures
recall@k and queries/s one query at a time and as one batch. Prints one JSON
line: build seconds, the memory the index added (resident set), per efSearch
{ ef, recall, single_qps, batched_qps }.
"""
import argparse, json, os, sys, time

from faiss_inputs import parse_and_load


def rss_bytes():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--truth', required=True)
    ap.add_argument('--m', type=int, default=16)
    ap.add_argument('--ef-construction', type=int, default=64)
    ap.add_argument('--ef', default='16,32,64,128,256')
    loaded = parse_and_load(ap)
    if loaded is None:
        return
    a, np, faiss, g, q = loaded
    k = a.k
    if os.path.exists(a.truth):
        truth = np.fromfile(a.truth, dtype=np.int32).reshape(-1, k)
    else:
        flat = faiss.IndexFlatL2(a.dim)
        flat.add(g)
        _, truth = flat.search(q, k)
        truth = truth.astype(np.int32)
        del flat
        tmp = a.truth + '.tmp'
        truth.tofile(tmp)
        os.replace(tmp, a.truth)
    rss0 = rss_bytes()
    t = time.perf_counter()
    index = faiss.IndexHNSWFlat(a.dim, a.m)
    index.hnsw.efConstruction = a.ef_construction
    index.add(g)
    build = time.perf_counter() - t
    memory = rss_bytes() - rss0
    sweep = []
    n1 = min(a.single, len(q))
    for ef in [int(x) for x in a.ef.split(',')]:
        index.hnsw.efSearch = max(ef, k)
        index.search(q[:10], k)  # warm-up
        best = float('inf')
        for _ in range(3):
            t = time.perf_counter()
            _, ids = index.search(q, k)
            best = min(best, time.perf_counter() - t)
        found = sum(len(set(ids[i].tolist()) & set(truth[i].tolist())) for i in range(len(q)))
        t = time.perf_counter()
        for i in range(n1):
            index.search(q[i:i + 1], k)
        single = time.perf_counter() - t
        sweep.append({'ef': ef, 'recall': found / (len(q) * k), 'single_qps': n1 / single, 'batched_qps': len(q) / best})
    print(json.dumps({'faiss': faiss.__version__, 'threads': a.threads, 'build_s': build, 'memory_bytes': memory, 'sweep': sweep}))


if __name__ == '__main__':
    sys.exit(main())
