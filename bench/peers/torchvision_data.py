"""torchvision's ImageFolder + DataLoader on the same files, the peer of `rxception bench --mode data`.

argv: DIR WORKERS BATCH SIZE. Prints one JSON line: images per second over the whole folder (after
the first batch), peak RSS of this process and its workers in MiB. The same transform as rxception's
training path: RandomResizedCrop(SIZE) bilinear, RandomHorizontalFlip, ToTensor, Normalize(0.5, 0.5).
"""
import json
import resource
import sys
import time

import torch
from torchvision import datasets, transforms

root, workers, batch, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)
t = transforms.Compose([
    transforms.RandomResizedCrop(size),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize([0.5] * 3, [0.5] * 3),
])
loader = torch.utils.data.DataLoader(datasets.ImageFolder(root, t), batch_size=batch, shuffle=True, num_workers=workers, drop_last=True)
it = iter(loader)
next(it)
start = time.perf_counter()
n = 0
for x, _ in it:
    n += x.shape[0]
seconds = time.perf_counter() - start
rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"imagesPerSecond": n / seconds, "images": n, "peakRssMiB": rss}))
