/* mlp_kernel.h: the dense-layer kernel of every forward pass (mlp.c).  Not a
 * public header: the policy API is mlp.h. */
#ifndef PB_CONTROLLER_MLP_KERNEL_H
#define PB_CONTROLLER_MLP_KERNEL_H

#include <stddef.h>

/* Z[r * ld + l] = b[r] + sum_j W[r * n_in + j] H[j * ld + l] for r < n_out
 * and lanes l < nl, as the chain of fused multiply-adds over j = 0, 1, ...,
 * n_in - 1 starting from b[r]: bit for bit the same whatever nl, ld, the lane
 * and the CPU's instruction set (AVX-512, AVX2 with FMA, or none).  W is
 * row-major (n_out x n_in); H (n_in x ld) and Z (n_out x ld) are structures
 * of arrays, lane-minor.  Z must not overlap H.  When ld is a multiple of
 * 8, the padding lanes nl .. (the next multiple of 8) - 1 are computed too:
 * H must hold initialised values there, and Z's are overwritten.  No
 * allocation. */
void mlp_layer_eval(size_t n_out, size_t n_in, const double W[], const double b[], size_t nl,
                    size_t ld, const double H[], double Z[]);

#endif
