def gradcheck(*a, **k): return "fn"
def gradgradcheck(*a, **k): return "gg"
class GradcheckError(RuntimeError): pass
