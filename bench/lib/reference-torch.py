"""PyTorch CPU reference for bench/embed.ts and bench/train.ts: the same Siamese encoders.

cnn: 28x28x1 -> conv32 3x3 relu -> maxpool 2 -> conv64 3x3 relu -> maxpool 2 -> flatten
-> dense128 relu -> dense64.
mlp (the default `contrastive train` encoder): 784 -> dense512 relu -> dense256 relu -> dense64.

  python3 reference-torch.py embed --batch 1024 --warmup 2 --iters 8 --threads 2
  python3 reference-torch.py train --pairs 128 --warmup 3 --iters 10 --threads 2 [--model mlp]

Prints one JSON line: {"mode", "images_per_s", "times_ms", "torch", "threads"}.
Installs nothing; exits 3 when torch cannot be imported.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    from torch import nn
except Exception as exc:  # noqa: BLE001 - any import failure means "reference unavailable"
    print(json.dumps({"error": f"import torch failed: {exc}"}))
    sys.exit(3)


def encoder() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 64),
    )


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 64),
    )


def contrastive(a, b, y, margin=1.0):
    # Hadsell et al.: Y = 0 similar, 1 dissimilar.
    d2 = ((a - b) ** 2).sum(1)
    d = torch.sqrt(d2 + 1e-12)
    return (0.5 * (1 - y) * d2 + 0.5 * y * torch.clamp(margin - d, min=0) ** 2).mean()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["embed", "train"])
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--pairs", type=int, default=128)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = mlp() if args.model == "mlp" else encoder()
    times = []
    if args.mode == "embed":
        model.eval()
        x = torch.rand(args.batch, 1, 28, 28)
        images = args.batch
        with torch.inference_mode():
            for i in range(args.warmup + args.iters):
                t0 = time.perf_counter()
                model(x)
                if i >= args.warmup:
                    times.append(time.perf_counter() - t0)
    else:
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(2 * args.pairs, 1, 28, 28)
        y = (torch.rand(args.pairs) > 0.5).float()
        images = 2 * args.pairs
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            opt.zero_grad()
            e = model(x)
            loss = contrastive(e[: args.pairs], e[args.pairs :], y)
            loss.backward()
            opt.step()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "mode": args.mode,
        "model": args.model,
        "images_per_s": images / med,
        "times_ms": [round(t * 1000, 2) for t in times],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
