"""What the faiss reference scripts share: their common arguments, faiss
imported (or the reason it cannot be, printed as the bench's one JSON line),
and the gallery and queries read (float32, row-major).
"""
import json


def parse_and_load(ap):
    """Adds the common arguments to `ap`, parses them and reads the inputs.

    Returns (args, numpy, faiss, gallery, queries), or None when faiss cannot
    be imported: that is reported, not raised, and the bench prints
    "reference unavailable".
    """
    ap.add_argument('--gallery', required=True)
    ap.add_argument('--queries', required=True)
    ap.add_argument('--dim', type=int, required=True)
    ap.add_argument('--k', type=int, default=10)
    ap.add_argument('--single', type=int, default=1000)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    try:
        import numpy as np
        import faiss
    except Exception as e:
        print(json.dumps({'error': f'cannot import faiss: {e}'}))
        return None
    faiss.omp_set_num_threads(a.threads)
    g = np.fromfile(a.gallery, dtype=np.float32).reshape(-1, a.dim)
    q = np.fromfile(a.queries, dtype=np.float32).reshape(-1, a.dim)
    return a, np, faiss, g, q
