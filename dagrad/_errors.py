"""Every user-facing message, in one place, worded as PyTorch 2.13 words it.

Where PyTorch writes ``torch.`` (``torch.Size``, ``torch.FloatTensor``) dagrad writes ``dagrad.``.
"""
from __future__ import annotations

SCALAR_OUTPUTS = "grad can be implicitly created only for scalar outputs"
REAL_SCALAR_OUTPUTS = "grad can be implicitly created only for real scalar outputs but got {dtype}"
BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
VERSION_MISMATCH = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [{type_name} {shape}], which is output {output_nr} of {node}, is at version "
    "{current}; expected version {saved} instead. Hint: enable anomaly detection to find the "
    "operation that failed to compute its gradient, with "
    "dagrad.autograd.set_detect_anomaly(True, check_nan=False)."
)
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_INPLACE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation.")
NO_GRAD_VIEW_INPLACE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the no_grad block (if you "
    "don't want the inplace to be tracked) or both outside (if you want the inplace to be "
    "tracked)."
)
MULTI_VIEW_INPLACE = (
    "Output {output_nr} of {node} is a view and is being modified inplace. This view is the "
    "output of a function that returns multiple views. Such functions do not allow the output "
    "views to be modified inplace. You should replace the inplace operation by an out-of-place "
    "one."
)
CUSTOM_FUNCTION_VIEW_INPLACE = (
    "Output {output_nr} of {node} is a view and is being modified inplace. This view was created "
    "inside a custom Function (or because an input was returned as-is) and the autograd logic "
    "to handle view+inplace would override the custom backward associated with the custom "
    "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by "
    "cloning the output of the custom Function."
)
REQUIRES_GRAD_FACTORY = "Only Tensors of floating point and complex dtype can require gradients"
REQUIRES_GRAD_ATTR = "only Tensors of floating point and complex dtype can require gradients"
REQUIRES_GRAD_METHOD = "only Tensors of floating point dtype can require gradients"
NUMPY_REQUIRES_GRAD = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
NO_GRAD_FN = "element {i} of tensors does not require grad and does not have a grad_fn"
UNUSED_INPUT = (
    "The differentiated Tensor at index {i} appears to not have been used in the graph. Set "
    "allow_unused=True if this is the desired behavior."
)
INPUT_NO_GRAD = "One of the differentiated Tensors does not require grad"
GRAD_SHAPE_MISMATCH = (
    "Mismatch in shape: grad_output[{i}] has a shape of {gshape} and output[{i}] has a shape of "
    "{oshape}."
)
GRAD_ASSIGN_SIZE = (
    "attempting to assign a gradient of size '{gsize}' to a tensor of size '{tsize}'. Please "
    "ensure that the gradient and the tensor are the same size"
)
NONLEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)
HOOK_NO_GRAD = "cannot register a hook on a tensor that doesn't require gradient"
RETAIN_GRAD_NO_GRAD = "can't retain_grad on Tensor that has requires_grad=False"
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak."
)
INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a clone "
    "to get a normal tensor and use it in autograd, or use `dagrad.no_grad()` instead of "
    "`dagrad.inference_mode()`."
)
INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone "
    "to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
INVALID_GRAD_SHAPE = (
    "Function {node} returned an invalid gradient at index {i} - got {got} but expected shape "
    "compatible with {expected}"
)
INVALID_GRAD_DTYPE = (
    "Function {node} returned an invalid gradient at index {i} - expected dtype {expected} but "
    "got {got}"
)
WRONG_GRAD_COUNT = (
    "function {node} returned an incorrect number of gradients (expected {expected}, got {got})")
ITEM_MULTI = "a Tensor with {n} elements cannot be converted to Scalar"
BOOL_MULTI = "Boolean value of Tensor with more than one value is ambiguous"
BROADCAST = (
    "The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
    "dimension {dim}"
)
EMPTY_INPUTS = "`inputs` argument to `{fn}()` cannot be empty."
INDEX_OUT_OF_RANGE = "index {index} is out of bounds for dimension {dim} with size {size}"
DIM_OUT_OF_RANGE = (
    "Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
VIEW_SHAPE = "shape '{shape}' is invalid for input of size {numel}"
VIEW_STRIDE = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)
MM_SHAPES = "mat1 and mat2 shapes cannot be multiplied ({a0}x{a1} and {b0}x{b1})"
