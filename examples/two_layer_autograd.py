"""Seed 004's first program: a two-layer network trained with autograd and plain SGD.

Written as in the seed (``Variable``, ``dtype = torch.FloatTensor``, ``.data`` updates), except
that the loss is printed with ``loss.item()``: the seed's ``loss.data[0]`` indexes a 0-dim tensor,
which PyTorch (and dagrad) reject today.

    python examples/two_layer_autograd.py
"""
import dagrad as torch
from dagrad.autograd import Variable

dtype = torch.FloatTensor

N, D_in, H, D_out = 64, 1000, 100, 10

torch.manual_seed(0)
x = Variable(torch.randn(N, D_in).type(dtype), requires_grad=False)
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)

w1 = Variable(torch.randn(D_in, H).type(dtype), requires_grad=True)
w2 = Variable(torch.randn(H, D_out).type(dtype), requires_grad=True)

learning_rate = 1e-6
for t in range(500):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)

    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 0 or t == 499:
        print(t, loss.item())

    loss.backward()

    w1.data -= learning_rate * w1.grad.data
    w2.data -= learning_rate * w2.grad.data

    w1.grad.data.zero_()
    w2.grad.data.zero_()
