"""Threshold rules on the embeddings scripts/zero-shot-threshold.ts wrote: the
distance threshold of the validation pairs, and S-norm (and variants) against
cohorts of the seen classes (fixed) or of each pair's own split (matched),
each chosen on validation pairs and applied to the held-out pairs.
Usage: python3 scripts/zero-shot-threshold.py DIR [COHORT_SIZE]"""
import numpy as np, json, sys
D = sys.argv[1]
dim = 1600
def load(n):
    e = np.fromfile(f'{D}/{n}.f32', dtype=np.float32).reshape(-1, dim)
    l = np.fromfile(f'{D}/{n}.labels.i32', dtype=np.int32)
    return e, l
val, vl = load('val'); test, tl = load('test'); train, trl = load('train')
vp = json.load(open(f'{D}/valpairs.json')); tp = json.load(open(f'{D}/testpairs.json'))
def pd(E, p): return np.linalg.norm(E[p['i']] - E[p['j']], axis=1)
dv, yv = pd(val, vp), np.array(vp['labels']); dt, yt = pd(test, tp), np.array(tp['labels'])
def best_thr(d, y):
    o = np.argsort(d); ds = d[o]; ys = y[o]
    # accept d<=t as same (label 0)
    pos = (ys == 0).cumsum(); neg = (ys == 1).cumsum()
    P = (y == 0).sum(); N = (y == 1).sum()
    acc = (pos + (N - neg)) / len(d)
    k = acc.argmax(); t = (ds[k] + ds[k + 1]) / 2 if k + 1 < len(ds) else ds[k]
    return t, acc[k], max(acc.max(), N / len(d))
def acc_at(d, y, t): return ((d <= t) == (y == 0)).mean()
def auc(d, y):
    from itertools import count
    r = np.argsort(np.argsort(d)) + 1
    P = (y == 0).sum(); N = (y == 1).sum()
    # prob(d_neg > d_pos)
    return (r[y == 1].sum() - N * (N + 1) / 2) / (P * N)
t, a, _ = best_thr(dv, yv); tb, ab, _ = best_thr(dt, yt)
print(f'raw: val thr {t:.4f} -> test {acc_at(dt, yt, t):.4f}; best {ab:.4f} at {tb:.4f}; AUC {auc(dt,yt):.4f}')
rng = np.random.default_rng(5)
def sample(E, n): return E[rng.choice(len(E), n, replace=False)]
def cdist(A, C): return np.sqrt(np.maximum(0, (A*A).sum(1)[:, None] + (C*C).sum(1)[None] - 2 * A @ C.T))
def norm_scores(E, p, d, C, rule, top=100, k=7):
    idx = np.unique(np.concatenate([p['i'], p['j']]))
    Dc = cdist(E[idx], C)
    Dc = np.where(Dc < 1e-6, np.nan, Dc)  # an example in its own cohort
    Dc.sort(1)
    m = {}
    if rule == 's-norm': mu, sd = np.nanmean(Dc, 1), np.nanstd(Dc, 1)
    elif rule == 'as-norm': mu, sd = Dc[:, :top].mean(1), Dc[:, :top].std(1)
    elif rule == 'z-mean': mu, sd = None, np.nanmean(Dc, 1)
    elif rule == 'local': mu, sd = None, Dc[:, k]
    pos = {g: r for r, g in enumerate(idx)}
    ia = np.array([pos[g] for g in p['i']]); ib = np.array([pos[g] for g in p['j']])
    if mu is None: return d / np.sqrt(sd[ia] * sd[ib])
    return 0.5 * ((d - mu[ia]) / sd[ia] + (d - mu[ib]) / sd[ib])
def domain_median(C):
    Dc = cdist(C, C); iu = np.triu_indices(len(C), 1); return np.median(Dc[iu])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
seen = np.concatenate([val, train])
cohorts = {
  'fixed: train classes (1,3,4)': (sample(train, N), None),
  'fixed: val classes (0,2)': (sample(val, N), None),
  'fixed: seen 0-4': (sample(seen, N), None),
  'matched: val cohort / unlabelled test cohort': (sample(val, N), sample(test, N)),
}
for name, (cv, ct) in cohorts.items():
    ct = cv if ct is None else ct
    mv, mt = domain_median(cv), domain_median(ct)
    line = f'{name}: median {mv:.3f}/{mt:.3f} | domain-scale {acc_at(dt / mt, yt, t / mv):.4f}'
    for rule in ['s-norm', 'as-norm', 'z-mean', 'local']:
        nv = norm_scores(val, vp, dv, cv, rule); nt = norm_scores(test, tp, dt, ct, rule)
        tv, _, _ = best_thr(nv, yv); _, bt, _ = best_thr(nt, yt)
        line += f' | {rule} {acc_at(nt, yt, tv):.4f} (best {bt:.4f}, AUC {auc(nt, yt):.4f})'
    print(line)
