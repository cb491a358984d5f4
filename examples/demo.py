"""dagrad in one screen: requires_grad, a graph, backward, and the gradients it gives.

Run: python examples/demo.py
"""
import dagrad as torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
print("x =", x)
y = x + 2
z = y * y * 3
out = z.mean()
print("out = mean(3 * (x + 2)**2) =", out)
print("out.grad_fn.next_functions =", out.grad_fn.next_functions)
out.backward()
print("d out / d x =", x.grad)            # 1.5 * (x + 2): [[4.5, 6.0], [7.5, 9.0]]

# A two-layer network on random data, trained with plain gradient descent (seed 004).
torch.manual_seed(0)
N, D_in, H, D_out = 64, 100, 50, 10
xs, ys = torch.randn(N, D_in), torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
lr = 1e-5
for t in range(201):
    y_pred = xs.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - ys).pow(2).sum()
    if t % 50 == 0:
        print(f"step {t:3d}  loss {loss.item():12.2f}")
    loss.backward()
    with torch.no_grad():
        w1 -= lr * w1.grad
        w2 -= lr * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
