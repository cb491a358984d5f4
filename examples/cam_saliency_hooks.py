"""Seed 003's hooks, on a small CNN: capture activations with ``register_forward_hook``, watch
gradients with ``register_full_backward_hook``, then remove both handles; and build a class
activation map (Grad-CAM) and a saliency map from them.

    python examples/cam_saliency_hooks.py
"""
import numpy as np

import dagrad as torch
import dagrad.nn as nn
from dagrad.datasets import synthetic_digits

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


net = Net()
images, labels = synthetic_digits(600, seed=0)
x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(2):                       # a quick fit so the maps mean something
    for i in range(0, 600, 32):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x_all[i:i + 32]), y_all[i:i + 32]).backward()
        opt.step()

# --- hooks, as in seed 003
save_feat = []


def hook_feat(module, input, output):
    save_feat.append(output)
    return output


def hook_pre(module, input):
    print("forward pre-hook on", type(module).__name__, "input shape", tuple(input[0].shape))


grads = []


def hook_grad(module, grad_input, grad_output):
    grads.append(grad_output[0])
    print("backward hook on", type(module).__name__,
          "grad_output shape", tuple(grad_output[0].shape))


h1 = net.conv2.register_forward_hook(hook_feat)
h2 = net.conv2.register_forward_pre_hook(hook_pre)
h3 = net.conv2.register_full_backward_hook(hook_grad)

x = x_all[:1].clone().requires_grad_(True)
score = net(x)
label = int(score.argmax())
score[0, label].backward()
h1.remove()
h2.remove()
h3.remove()

# Grad-CAM: weight the conv2 feature maps by their average gradient
feat, grad = save_feat[0][0].detach().numpy(), grads[0][0].detach().numpy()
cam = np.maximum((grad.mean(axis=(1, 2))[:, None, None] * feat).sum(0), 0)
cam = cam / (cam.max() + 1e-12)
saliency = x.grad.abs()[0, 0].numpy()
print("predicted", label, "true", int(y_all[0]))
print("Grad-CAM (8x8 over the conv2 output):")
for row in cam:
    print("".join(" .:-=+*#%@"[min(9, int(v * 9.99))] for v in row))
print("saliency peak at pixel", np.unravel_index(saliency.argmax(), saliency.shape))
