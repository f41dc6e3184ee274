#!/usr/bin/env python3
"""PyTorch reference for the train-mode gradient check (issue 15).

For each case (network, input size, batch) runs one training-mode forward pass (batch norm on
batch statistics) and the backward pass of a seeded random logits gradient, twice: in float64 (the
truth) and in float32 (how far PyTorch's own single precision is from the truth). Writes
  <out>/train-<model>-<size>-b<batch>.safetensors   input (NHWC), dlogits, grad64.<key>, grad32.<key>
    and the weights (timm's keys). The weights are PyTorch's default initialisation (seeded), the
state a training run starts from: with torch_reference.py's wider random batch-norm scales the
plain Inception-v4 is so ill-conditioned in train mode at these sizes that PyTorch float32 is 30-40%
from float64, which measures nothing. Run with Debian's interpreter: /usr/bin/python3 parity/torch_train_reference.py OUT_DIR
"""
import sys

import torch

from torch_reference import InceptionResNetV2, InceptionV4, write_safetensors

CASES = [('inception-resnet-v2', 107, 2), ('inception-resnet-v2', 75, 8), ('inception-v4', 107, 2), ('inception-v4', 75, 8)]


def grads(model, x, dy):
    model.zero_grad()
    model(x).backward(dy)
    return {k: p.grad.detach().clone() for k, p in model.named_parameters()}


def main(out):
    torch.set_num_threads(2)
    makers = {'inception-v4': InceptionV4, 'inception-resnet-v2': InceptionResNetV2}
    for name, size, batch in CASES:
        torch.manual_seed(1234)
        model = makers[name]().train()
        weights = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
        g = torch.Generator().manual_seed(1000 * size + batch)
        x = torch.randn((batch, 3, size, size), generator=g)
        dy = torch.randn((batch, 1000), generator=g)
        g32 = grads(model, x, dy)
        model64 = model.double()
        g64 = grads(model64, x.double(), dy.double())
        tensors = {'input': x.permute(0, 2, 3, 1), 'dlogits': dy, **{f'weight.{k}': v for k, v in weights.items()}}
        for k in g64:
            # PyTorch's OIHW and [out, in] layouts; compare.ts reads them through the same import as weights
            tensors[f'grad64.{k}'] = g64[k]
            tensors[f'grad32.{k}'] = g32[k]
        write_safetensors(f'{out}/train-{name}-{size}-b{batch}.safetensors', tensors)
        print(f'{name} {size}x{size} batch {batch}: {len(g64)} gradient tensors', flush=True)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'parity/out')
