/* import_onnx.c: ONNX models (onnx.ai, "Open Neural Network Exchange",
 * IR in onnx.proto) read with protobuf-c from C bindings generated at build
 * time from the onnx.proto that Debian's python3-onnx ships.
 *
 * The graph must be one chain from the single graph input to the single
 * graph output (nodes are topologically sorted, as the ONNX IR requires):
 *   - dense layers: Gemm (transA = 0, any transB, alpha, beta; PyTorch),
 *     MatMul followed by Add (Keras), Conv whose kernel covers its whole
 *     input with no padding (MATLAB's fully connected layers); Add/Sub of a
 *     constant after a dense layer adds to its bias;
 *   - activations after a dense layer: Relu, LeakyRelu, Tanh, Sigmoid,
 *     Clip(-1, 1) (hardtanh);
 *   - before the first layer, Sub/Add/Mul/Div by a constant (MATLAB's input
 *     normalisation) become the input map;
 *   - Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout pass through;
 *     Constant nodes provide constants.
 * Initializers and constants may be float or double, in raw_data (little
 * endian) or float_data/double_data.  Anything else is refused with the
 * node's op type and name. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_type.h"
#include "onnx.pb-c.h"

#define ONNX_MAX_RANK 8

/* protobuf-c leaves an absent optional string NULL. */
#define STR(s) ((s) ? (s) : "")

/* A dense layer being assembled. */
typedef struct onnx_layer {
    size_t n_in, n_out;
    double *W; /* (n_out x n_in) */
    double *b; /* [n_out] */
    mlp_act act;
    double alpha;
    int has_act;
} onnx_layer;

typedef struct onnx_ctx {
    const char *path;
    const Onnx__GraphProto *g;
    onnx_layer *layers;
    size_t n_layers, cap_layers;
    /* Shape of the current tensor without the batch dimension. */
    int rank;
    int64_t shape[ONNX_MAX_RANK];
    size_t width;                 /* product of shape */
    double *in_offset, *in_scale; /* [width of the graph input] or NULL */
    size_t n_in;
} onnx_ctx;

static int node_error(const onnx_ctx *c, const Onnx__NodeProto *n, int code, const char *what,
                      pb_error *err)
{
    return pb_error_set(err, code, "%s: node %s '%s': %s", c->path, n->op_type,
                        n->name && *n->name ? n->name : "(unnamed)", what);
}

/* A constant by name: an initializer, or the value of a Constant node. */
static const Onnx__TensorProto *find_const(const onnx_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->g->n_initializer; i++)
        if (strcmp(c->g->initializer[i]->name, name) == 0)
            return c->g->initializer[i];
    for (size_t i = 0; i < c->g->n_node; i++) {
        const Onnx__NodeProto *n = c->g->node[i];
        if (strcmp(n->op_type, "Constant") != 0 || n->n_output != 1 ||
            strcmp(n->output[0], name) != 0)
            continue;
        for (size_t a = 0; a < n->n_attribute; a++)
            if (strcmp(n->attribute[a]->name, "value") == 0 && n->attribute[a]->t)
                return n->attribute[a]->t;
    }
    return NULL;
}

#define ONNX_MAX_ELEMENTS 100000000 /* 1e8 weights in one tensor */

/* Number of elements, or 0 when a dimension is not positive or the tensor
 * is implausibly large (a damaged file). */
static size_t tensor_count(const Onnx__TensorProto *t)
{
    size_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 1 || t->dims[i] > ONNX_MAX_ELEMENTS)
            return 0;
        n *= (size_t)t->dims[i];
        if (n > ONNX_MAX_ELEMENTS)
            return 0;
    }
    return n;
}

/* The values of a float or double tensor as a new array of doubles. */
static int tensor_doubles(const onnx_ctx *c, const Onnx__NodeProto *node,
                          const Onnx__TensorProto *t, double **out, size_t *count, pb_error *err)
{
    size_t n = tensor_count(t);
    double *v;
    char what[160];

    *out = NULL;
    if (n == 0) {
        snprintf(what, sizeof what, "tensor '%s' has an empty or implausible shape", STR(t->name));
        return node_error(c, node, PB_EFORMAT, what, err);
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        snprintf(what, sizeof what, "tensor '%s' is stored in an external file", STR(t->name));
        return node_error(c, node, PB_EUNSUPPORTED, what, err);
    }
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
        t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
        snprintf(what, sizeof what, "tensor '%s' has element type %d (only float and double)",
                 STR(t->name), (int)t->data_type);
        return node_error(c, node, PB_EUNSUPPORTED, what, err);
    }
    v = malloc(n * sizeof *v);
    if (!v)
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory", c->path);
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        if (t->has_raw_data && t->raw_data.len == 4 * n) {
            for (size_t i = 0; i < n; i++) {
                const uint8_t *p = t->raw_data.data + 4 * i;
                uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24;
                float f;
                memcpy(&f, &u, sizeof f);
                v[i] = f;
            }
        } else if (!t->has_raw_data && t->n_float_data == n) {
            for (size_t i = 0; i < n; i++)
                v[i] = t->float_data[i];
        } else {
            goto bad_size;
        }
    } else {
        if (t->has_raw_data && t->raw_data.len == 8 * n) {
            for (size_t i = 0; i < n; i++) {
                const uint8_t *p = t->raw_data.data + 8 * i;
                uint64_t u = 0;
                for (int k = 7; k >= 0; k--)
                    u = u << 8 | p[k];
                memcpy(&v[i], &u, sizeof u);
            }
        } else if (!t->has_raw_data && t->n_double_data == n) {
            memcpy(v, t->double_data, n * sizeof *v);
        } else {
            goto bad_size;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            free(v);
            snprintf(what, sizeof what, "tensor '%s' entry %zu is not finite", STR(t->name), i);
            return node_error(c, node, PB_EFORMAT, what, err);
        }
    *out = v;
    *count = n;
    return PB_SUCCESS;
bad_size:
    free(v);
    snprintf(what, sizeof what, "tensor '%s' holds the wrong number of values for its shape",
             STR(t->name));
    return node_error(c, node, PB_EFORMAT, what, err);
}

/* The constant input i of node as doubles (PB_EFORMAT when not constant). */
static int const_input(const onnx_ctx *c, const Onnx__NodeProto *n, size_t i,
                       const Onnx__TensorProto **t, double **v, size_t *count, pb_error *err)
{
    char what[160];
    *v = NULL;
    if (i >= n->n_input || !*n->input[i])
        return node_error(c, n, PB_EFORMAT, "missing input", err);
    *t = find_const(c, n->input[i]);
    if (!*t) {
        snprintf(what, sizeof what, "input '%s' must be a constant (initializer)", n->input[i]);
        return node_error(c, n, PB_EUNSUPPORTED, what, err);
    }
    return tensor_doubles(c, n, *t, v, count, err);
}

static const Onnx__AttributeProto *attr_find(const Onnx__NodeProto *n, const char *name)
{
    for (size_t a = 0; a < n->n_attribute; a++)
        if (strcmp(n->attribute[a]->name, name) == 0)
            return n->attribute[a];
    return NULL;
}

static double attr_float(const Onnx__NodeProto *n, const char *name, double def)
{
    const Onnx__AttributeProto *a = attr_find(n, name);
    return a && a->has_f ? a->f : def;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr_find(n, name);
    return a && a->has_i ? a->i : def;
}

static void shape_set_flat(onnx_ctx *c, size_t n)
{
    c->rank = 1;
    c->shape[0] = (int64_t)n;
    c->width = n;
}

static onnx_layer *last_layer(onnx_ctx *c)
{
    return c->n_layers ? &c->layers[c->n_layers - 1] : NULL;
}

/* The identity input map for n inputs. */
static int input_map_alloc(onnx_ctx *c, size_t n, pb_error *err)
{
    c->n_in = n;
    c->in_offset = calloc(n, sizeof *c->in_offset);
    c->in_scale = malloc(n * sizeof *c->in_scale);
    if (!c->in_offset || !c->in_scale)
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory", c->path);
    for (size_t i = 0; i < n; i++)
        c->in_scale[i] = 1.0;
    return PB_SUCCESS;
}

/* A new dense layer taking c->width inputs; W and b start at zero. */
static int layer_push(onnx_ctx *c, const Onnx__NodeProto *n, size_t n_in, size_t n_out,
                      onnx_layer **out, pb_error *err)
{
    onnx_layer *l;
    char what[160];
    int status;

    if (c->width == 0 && c->n_layers == 0) {
        /* The graph input had no numeric shape: this layer gives it. */
        status = input_map_alloc(c, n_in, err);
        if (status)
            return status;
        shape_set_flat(c, n_in);
    }
    if (n_in != c->width) {
        snprintf(what, sizeof what, "weight takes %zu inputs but its input has %zu values", n_in,
                 c->width);
        return node_error(c, n, PB_EFORMAT, what, err);
    }
    if (c->n_layers == c->cap_layers) {
        size_t cap = c->cap_layers ? 2 * c->cap_layers : 8;
        onnx_layer *p = realloc(c->layers, cap * sizeof *p);
        if (!p)
            return pb_error_set(err, PB_ENOMEM, "%s: out of memory", c->path);
        c->layers = p;
        c->cap_layers = cap;
    }
    l = &c->layers[c->n_layers];
    memset(l, 0, sizeof *l);
    l->n_in = n_in;
    l->n_out = n_out;
    l->act = MLP_ACT_LINEAR;
    l->alpha = 0.01;
    l->W = calloc(n_in * n_out, sizeof *l->W);
    l->b = calloc(n_out, sizeof *l->b);
    if (!l->W || !l->b) {
        free(l->W);
        free(l->b);
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory", c->path);
    }
    c->n_layers++;
    shape_set_flat(c, n_out);
    *out = l;
    return PB_SUCCESS;
}

/* Gemm: Y = alpha A op(B) + beta C with A the current tensor. */
static int op_gemm(onnx_ctx *c, const Onnx__NodeProto *n, pb_error *err)
{
    const Onnx__TensorProto *tb, *tc;
    double *B = NULL, *C = NULL, alpha = attr_float(n, "alpha", 1.0),
           beta = attr_float(n, "beta", 1.0);
    size_t nb, nc, n_in, n_out;
    int transB = (int)attr_int(n, "transB", 0), status;
    onnx_layer *l;

    if (attr_int(n, "transA", 0) != 0)
        return node_error(c, n, PB_EUNSUPPORTED, "transA = 1 is not supported", err);
    status = const_input(c, n, 1, &tb, &B, &nb, err);
    if (status)
        return status;
    if (tb->n_dims != 2) {
        status = node_error(c, n, PB_EFORMAT, "weight is not a matrix", err);
        goto free_b;
    }
    n_out = (size_t)(transB ? tb->dims[0] : tb->dims[1]);
    n_in = (size_t)(transB ? tb->dims[1] : tb->dims[0]);
    status = layer_push(c, n, n_in, n_out, &l, err);
    if (status)
        goto free_b;
    for (size_t o = 0; o < n_out; o++)
        for (size_t i = 0; i < n_in; i++)
            l->W[o * n_in + i] = alpha * (transB ? B[o * n_in + i] : B[i * n_out + o]);
    if (n->n_input > 2 && *n->input[2]) {
        status = const_input(c, n, 2, &tc, &C, &nc, err);
        if (status)
            goto free_b;
        if (nc != 1 && nc != n_out) {
            status = node_error(c, n, PB_EFORMAT, "bias size does not match the weight", err);
            goto free_c;
        }
        for (size_t o = 0; o < n_out; o++)
            l->b[o] = beta * C[nc == 1 ? 0 : o];
    }
free_c:
    free(C);
free_b:
    free(B);
    return status;
}

/* MatMul: Y = A B with A the current tensor and B (n_in x n_out). */
static int op_matmul(onnx_ctx *c, const Onnx__NodeProto *n, pb_error *err)
{
    const Onnx__TensorProto *tb;
    double *B = NULL;
    size_t nb, n_in, n_out;
    int status;
    onnx_layer *l;

    if (n->n_input != 2)
        return node_error(c, n, PB_EFORMAT, "expects two inputs", err);
    status = const_input(c, n, 1, &tb, &B, &nb, err);
    if (status)
        return status;
    if (tb->n_dims != 2) {
        status = node_error(c, n, PB_EUNSUPPORTED, "weight is not a matrix", err);
        goto free_b;
    }
    n_in = (size_t)tb->dims[0];
    n_out = (size_t)tb->dims[1];
    status = layer_push(c, n, n_in, n_out, &l, err);
    if (status)
        goto free_b;
    for (size_t o = 0; o < n_out; o++)
        for (size_t i = 0; i < n_in; i++)
            l->W[o * n_in + i] = B[i * n_out + o];
free_b:
    free(B);
    return status;
}

/* Conv whose kernel covers the whole (C, H, W...) input without padding:
 * a dense layer with W reshaped to (M x C*kh*kw...), row-major order equal
 * to the input's. */
static int op_conv(onnx_ctx *c, const Onnx__NodeProto *n, pb_error *err)
{
    const Onnx__TensorProto *tw, *tb;
    const Onnx__AttributeProto *a;
    double *Wv = NULL, *Bv = NULL;
    size_t nw, nb, n_out, n_in;
    int status;
    onnx_layer *l;

    if (attr_int(n, "group", 1) != 1)
        return node_error(c, n, PB_EUNSUPPORTED, "grouped convolution", err);
    if ((a = attr_find(n, "auto_pad")) && a->has_s && a->s.len &&
        !(a->s.len == 6 && memcmp(a->s.data, "NOTSET", 6) == 0) &&
        !(a->s.len == 5 && memcmp(a->s.data, "VALID", 5) == 0))
        return node_error(c, n, PB_EUNSUPPORTED, "auto_pad other than NOTSET or VALID", err);
    if ((a = attr_find(n, "pads")))
        for (size_t i = 0; i < a->n_ints; i++)
            if (a->ints[i] != 0)
                return node_error(c, n, PB_EUNSUPPORTED, "padded convolution", err);
    if ((a = attr_find(n, "dilations")))
        for (size_t i = 0; i < a->n_ints; i++)
            if (a->ints[i] != 1)
                return node_error(c, n, PB_EUNSUPPORTED, "dilated convolution", err);
    status = const_input(c, n, 1, &tw, &Wv, &nw, err);
    if (status)
        return status;
    /* The kernel (C, kh, kw...) must equal the input's shape. */
    if ((int)tw->n_dims != c->rank + 1 || tw->n_dims < 3) {
        status = node_error(c, n, PB_EUNSUPPORTED,
                            "only a convolution whose kernel covers its whole input (a dense "
                            "layer) is supported",
                            err);
        goto free_w;
    }
    for (int i = 0; i < c->rank; i++)
        if (tw->dims[i + 1] != c->shape[i]) {
            status = node_error(c, n, PB_EUNSUPPORTED,
                                "only a convolution whose kernel covers its whole input (a dense "
                                "layer) is supported",
                                err);
            goto free_w;
        }
    n_out = (size_t)tw->dims[0];
    n_in = nw / n_out;
    status = layer_push(c, n, n_in, n_out, &l, err);
    if (status)
        goto free_w;
    memcpy(l->W, Wv, nw * sizeof *Wv);
    /* Output (M, 1, 1, ...). */
    c->rank = (int)tw->n_dims - 1;
    c->shape[0] = (int64_t)n_out;
    for (int i = 1; i < c->rank; i++)
        c->shape[i] = 1;
    if (n->n_input > 2 && *n->input[2]) {
        status = const_input(c, n, 2, &tb, &Bv, &nb, err);
        if (status)
            goto free_w;
        if (nb != n_out) {
            status = node_error(c, n, PB_EFORMAT, "bias size does not match the kernel", err);
            goto free_bv;
        }
        memcpy(l->b, Bv, nb * sizeof *Bv);
    }
free_bv:
    free(Bv);
free_w:
    free(Wv);
    return status;
}

/* Add, Sub, Mul, Div with one constant operand: the input map before the
 * first layer, the bias (Add, Sub) right after a dense layer. */
static int op_arith(onnx_ctx *c, const Onnx__NodeProto *n, const char *cur, pb_error *err)
{
    const Onnx__TensorProto *t;
    double *v = NULL;
    size_t nv, ci;
    int first = n->n_input == 2 && strcmp(n->input[0], cur) == 0, status;
    int sub = strcmp(n->op_type, "Sub") == 0, add = strcmp(n->op_type, "Add") == 0;
    int mul = strcmp(n->op_type, "Mul") == 0;
    onnx_layer *l = last_layer(c);

    if (n->n_input != 2)
        return node_error(c, n, PB_EFORMAT, "expects two inputs", err);
    if (c->width == 0)
        return node_error(c, n, PB_EUNSUPPORTED,
                          "input normalisation needs the graph input's numeric shape", err);
    if (!first && (sub || !(add || mul)))
        return node_error(c, n, PB_EUNSUPPORTED, "the current tensor must be the first operand",
                          err);
    ci = first ? 1 : 0;
    status = const_input(c, n, ci, &t, &v, &nv, err);
    if (status)
        return status;
    if (nv != 1 && nv != c->width) {
        status = node_error(c, n, PB_EUNSUPPORTED, "constant does not broadcast elementwise", err);
        goto free_v;
    }
    if (l && !l->has_act && (add || sub)) {
        for (size_t o = 0; o < l->n_out; o++)
            l->b[o] += (sub ? -1.0 : 1.0) * v[nv == 1 ? 0 : o];
    } else if (!l) {
        /* s = (x - offset) * scale, updated for s op v. */
        for (size_t i = 0; i < c->n_in; i++) {
            double k = v[nv == 1 ? 0 : i];
            if (sub)
                c->in_offset[i] += k / c->in_scale[i];
            else if (add)
                c->in_offset[i] -= k / c->in_scale[i];
            else if (mul)
                c->in_scale[i] *= k;
            else if (k == 0.0) {
                status = node_error(c, n, PB_EFORMAT, "division by zero", err);
                goto free_v;
            } else
                c->in_scale[i] /= k;
        }
    } else {
        status = node_error(c, n, PB_EUNSUPPORTED,
                            "only input normalisation and bias additions are supported", err);
    }
free_v:
    free(v);
    return status;
}

static int op_activation(onnx_ctx *c, const Onnx__NodeProto *n, pb_error *err)
{
    onnx_layer *l = last_layer(c);
    const char *op = n->op_type;
    mlp_act act;
    double alpha = 0.01;

    if (!l || l->has_act)
        return node_error(c, n, PB_EUNSUPPORTED, "activation does not follow a dense layer", err);
    if (strcmp(op, "Relu") == 0)
        act = MLP_ACT_RELU;
    else if (strcmp(op, "Tanh") == 0)
        act = MLP_ACT_TANH;
    else if (strcmp(op, "Sigmoid") == 0)
        act = MLP_ACT_SIGMOID;
    else if (strcmp(op, "LeakyRelu") == 0) {
        act = MLP_ACT_LEAKY_RELU;
        alpha = attr_float(n, "alpha", 0.01);
        if (!(alpha >= 0.0 && alpha <= 1.0))
            return node_error(c, n, PB_EUNSUPPORTED, "alpha outside [0, 1]", err);
    } else {
        /* Clip: bounds from attributes (opset < 11) or constant inputs. */
        double lo = attr_float(n, "min", -INFINITY), hi = attr_float(n, "max", INFINITY);
        for (size_t i = 1; i < n->n_input && i < 3; i++) {
            const Onnx__TensorProto *t;
            double *v;
            size_t nv;
            int status;
            if (!*n->input[i])
                continue;
            status = const_input(c, n, i, &t, &v, &nv, err);
            if (status)
                return status;
            if (nv != 1) {
                free(v);
                return node_error(c, n, PB_EFORMAT, "bound is not a scalar", err);
            }
            if (i == 1)
                lo = v[0];
            else
                hi = v[0];
            free(v);
        }
        if (lo != -1.0 || hi != 1.0)
            return node_error(c, n, PB_EUNSUPPORTED, "only Clip(-1, 1) (hardtanh) is supported",
                              err);
        act = MLP_ACT_HARDTANH;
    }
    l->act = act;
    l->alpha = alpha;
    l->has_act = 1;
    return PB_SUCCESS;
}

static int is_op(const Onnx__NodeProto *n, const char *const ops[])
{
    for (; *ops; ops++)
        if (strcmp(n->op_type, *ops) == 0)
            return 1;
    return 0;
}

/* The graph input that is not an initializer (old exports list initializers
 * among the inputs), and its per-sample shape. */
static int graph_input(onnx_ctx *c, const char **name, pb_error *err)
{
    const Onnx__ValueInfoProto *in = NULL;
    const Onnx__TensorShapeProto *shape;

    for (size_t i = 0; i < c->g->n_input; i++) {
        int is_init = 0;
        for (size_t k = 0; k < c->g->n_initializer; k++)
            is_init = is_init || strcmp(c->g->initializer[k]->name, c->g->input[i]->name) == 0;
        if (is_init)
            continue;
        if (in)
            return pb_error_set(err, PB_EUNSUPPORTED, "%s: the graph has more than one input",
                                c->path);
        in = c->g->input[i];
    }
    if (!in)
        return pb_error_set(err, PB_EFORMAT, "%s: the graph has no input", c->path);
    *name = in->name;
    if (!in->type || in->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return pb_error_set(err, PB_EUNSUPPORTED, "%s: graph input '%s' is not a tensor", c->path,
                            in->name);
    /* Without a numeric shape [batch, ...] the first dense layer gives the
     * input's size (c->width stays 0, "unknown"). */
    c->rank = 0;
    c->width = 0;
    shape = in->type->tensor_type->shape;
    if (!shape || shape->n_dim < 2 || shape->n_dim > ONNX_MAX_RANK + 1)
        return PB_SUCCESS;
    for (size_t i = 1; i < shape->n_dim; i++)
        if (shape->dim[i]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            shape->dim[i]->dim_value < 1)
            return PB_SUCCESS;
    c->rank = (int)shape->n_dim - 1;
    c->width = 1;
    for (int i = 0; i < c->rank; i++) {
        int64_t d = shape->dim[i + 1]->dim_value;
        c->shape[i] = d;
        c->width *= (size_t)d;
        if (d > ONNX_MAX_ELEMENTS || c->width > ONNX_MAX_ELEMENTS)
            return pb_error_set(err, PB_EUNSUPPORTED, "%s: graph input '%s' is implausibly large",
                                c->path, in->name);
    }
    return input_map_alloc(c, c->width, err);
}

/* The strings the walk compares must be present (a valid model has them;
 * a damaged one may not). */
static int check_names(const onnx_ctx *c, pb_error *err)
{
    const Onnx__GraphProto *g = c->g;
    for (size_t i = 0; i < g->n_node; i++) {
        if (!g->node[i]->op_type || !*g->node[i]->op_type)
            return pb_error_set(err, PB_EFORMAT, "%s: node %zu ('%s') has no op_type", c->path,
                                i + 1, STR(g->node[i]->name));
        for (size_t a = 0; a < g->node[i]->n_attribute; a++)
            if (!g->node[i]->attribute[a]->name)
                return pb_error_set(err, PB_EFORMAT, "%s: node %zu has an unnamed attribute",
                                    c->path, i + 1);
    }
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!g->initializer[i]->name)
            return pb_error_set(err, PB_EFORMAT, "%s: initializer %zu has no name", c->path, i + 1);
    for (size_t i = 0; i < g->n_input; i++)
        if (!g->input[i]->name)
            return pb_error_set(err, PB_EFORMAT, "%s: graph input %zu has no name", c->path, i + 1);
    for (size_t i = 0; i < g->n_output; i++)
        if (!g->output[i]->name)
            return pb_error_set(err, PB_EFORMAT, "%s: graph output %zu has no name", c->path,
                                i + 1);
    return PB_SUCCESS;
}

/* Walks the chain of nodes from the graph input. */
static int walk_graph(onnx_ctx *c, pb_error *err)
{
    static const char *const passthrough[] = {"Flatten", "Reshape", "Squeeze", "Unsqueeze", NULL};
    static const char *const identity[] = {"Identity", "Dropout", NULL};
    static const char *const acts[] = {"Relu", "Tanh", "Sigmoid", "LeakyRelu", "Clip", NULL};
    static const char *const arith[] = {"Add", "Sub", "Mul", "Div", NULL};
    const char *cur = NULL;
    int status = graph_input(c, &cur, err);

    if (status)
        return status;
    for (size_t i = 0; i < c->g->n_node; i++) {
        const Onnx__NodeProto *n = c->g->node[i];
        int uses_cur = 0;
        if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
            return node_error(c, n, PB_EUNSUPPORTED, "operator from a custom domain", err);
        if (strcmp(n->op_type, "Constant") == 0)
            continue;
        for (size_t k = 0; k < n->n_input; k++)
            uses_cur = uses_cur || strcmp(n->input[k], cur) == 0;
        if (!uses_cur || n->n_output < 1)
            return node_error(c, n, PB_EUNSUPPORTED,
                              "not on the single chain from the graph input to its output", err);
        if (strcmp(n->op_type, "Gemm") == 0)
            status = strcmp(n->input[0], cur) == 0
                         ? op_gemm(c, n, err)
                         : node_error(c, n, PB_EUNSUPPORTED, "input must be operand A", err);
        else if (strcmp(n->op_type, "MatMul") == 0)
            status = strcmp(n->input[0], cur) == 0
                         ? op_matmul(c, n, err)
                         : node_error(c, n, PB_EUNSUPPORTED, "input must be operand A", err);
        else if (strcmp(n->op_type, "Conv") == 0)
            status = strcmp(n->input[0], cur) == 0
                         ? op_conv(c, n, err)
                         : node_error(c, n, PB_EUNSUPPORTED, "input must be operand X", err);
        else if (is_op(n, arith))
            status = op_arith(c, n, cur, err);
        else if (is_op(n, acts))
            status = op_activation(c, n, err);
        else if (is_op(n, passthrough))
            shape_set_flat(c, c->width);
        else if (!is_op(n, identity))
            status = node_error(c, n, PB_EUNSUPPORTED, "operator not supported", err);
        if (status)
            return status;
        cur = n->output[0];
    }
    if (c->g->n_output != 1)
        return pb_error_set(err, PB_EUNSUPPORTED, "%s: the graph has %zu outputs, expected 1",
                            c->path, c->g->n_output);
    if (strcmp(c->g->output[0]->name, cur) != 0)
        return pb_error_set(err, PB_EFORMAT,
                            "%s: the chain of nodes ends in '%s', not in the graph output '%s'",
                            c->path, cur, c->g->output[0]->name);
    if (c->n_layers == 0)
        return pb_error_set(err, PB_EFORMAT, "%s: the graph has no dense layer", c->path);
    return PB_SUCCESS;
}

/* The network from the collected layers and input map. */
static int build_mlp(onnx_ctx *c, mlp **out, pb_error *err)
{
    size_t *sizes = malloc((c->n_layers + 1) * sizeof *sizes);
    int identity = 1, status = PB_SUCCESS;
    mlp *m;

    if (!sizes)
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory", c->path);
    sizes[0] = c->layers[0].n_in;
    for (size_t j = 0; j < c->n_layers; j++)
        sizes[j + 1] = c->layers[j].n_out;
    m = mlp_alloc(c->n_layers, sizes, NULL, err);
    free(sizes);
    if (!m)
        return err ? err->code : PB_ENOMEM;
    for (size_t j = 0; j < c->n_layers; j++) {
        mlp_layer *l = &m->layers[j];
        free(l->W);
        free(l->b);
        l->W = c->layers[j].W;
        l->b = c->layers[j].b;
        c->layers[j].W = c->layers[j].b = NULL;
        l->act = c->layers[j].act;
        l->alpha = c->layers[j].alpha;
    }
    for (size_t i = 0; i < c->n_in; i++)
        identity = identity && c->in_offset[i] == 0.0 && c->in_scale[i] == 1.0;
    if (!identity) {
        m->in_offset = c->in_offset;
        m->in_scale = c->in_scale;
        c->in_offset = c->in_scale = NULL;
    }
    if (mlp_validate(m, err) != PB_SUCCESS) {
        pb_error_prefix(err, "%s: ", c->path);
        status = err ? (err->code = PB_EFORMAT) : PB_EFORMAT;
        mlp_free(m);
        return status;
    }
    *out = m;
    return PB_SUCCESS;
}

static int onnx_read(const char *path, const import_options *opt, mlp **out, char *note,
                     size_t note_len, pb_error *err)
{
    FILE *f;
    long size;
    uint8_t *buf = NULL;
    Onnx__ModelProto *model = NULL;
    onnx_ctx c;
    int status;

    *out = NULL;
    if (note_len)
        note[0] = '\0';
    memset(&c, 0, sizeof c);
    c.path = path;
    if (opt && opt->n_acts)
        return pb_error_set(err, PB_EINVAL,
                            "%s: ONNX files name their activations; do not give --activations",
                            path);
    f = fopen(path, "rb");
    if (!f)
        return pb_error_set(err, PB_EIO, "%s: cannot open", path);
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return pb_error_set(err, PB_EIO, "%s: cannot read (not a regular file?)", path);
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory", path);
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        status = pb_error_set(err, PB_EIO, "%s: read error", path);
        goto free_buf;
    }
    fclose(f);

    model = onnx__model_proto__unpack(NULL, (size_t)size, buf);
    if (!model) {
        status =
            pb_error_set(err, PB_EFORMAT, "%s: not an ONNX model (protobuf parse failed)", path);
        goto free_buf;
    }
    if (!model->graph || model->graph->n_node == 0) {
        status = pb_error_set(err, PB_EFORMAT, "%s: not an ONNX model (no graph)", path);
        goto free_model;
    }
    c.g = model->graph;
    status = check_names(&c, err);
    if (!status)
        status = walk_graph(&c, err);
    if (!status)
        status = build_mlp(&c, out, err);
free_model:
    for (size_t j = 0; j < c.n_layers; j++) {
        free(c.layers[j].W);
        free(c.layers[j].b);
    }
    free(c.layers);
    free(c.in_offset);
    free(c.in_scale);
    onnx__model_proto__free_unpacked(model, NULL);
free_buf:
    free(buf);
    return status;
}

const import_type import_onnx = {
    "onnx", ".onnx",
    "ONNX: Gemm/MatMul+Add/1x1 Conv dense layers with Relu, Tanh, Sigmoid (PyTorch, Keras, MATLAB)",
    onnx_read};
