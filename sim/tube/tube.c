/* tube.c: the certified closed-loop tube (tube.h, docs/TUBE.md). */
#include "tube.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds_diff.h"
#include "pb_norm.h"
#include "plant_box.h"
#include "plant_user.h"

void tube_opts_init(tube_opts *o)
{
    o->substeps_point = 4;
    o->substeps_point_max = 256;
    o->point_atol = 1e-9;
    o->point_rtol = 1e-4;
    o->substeps_set = 4;
    o->order = 6;
    o->taylor = 4;
    o->differential = 0;
}

const char *tube_method_name(int differential)
{
    switch (differential) {
    case 0:
        return TUBE_METHOD;
    case 1:
        return TUBE_METHOD "; per row the tighter of that and the differential step of the error "
                           "set (bounds_diff.h), rows in tube_rows_differential";
    default:
        return "arb-balls: the differential step of the error set alone (bounds_diff.h joint "
               "controller difference, flow and policy Jacobians over the error set, in the "
               "time-varying Lyapunov metric)";
    }
}

int tube_plant_is_supported(const plant_type *t)
{
    return t && t->jac_box != NULL;
}

#ifndef PB_WITH_TUBE

int tube_is_available(void)
{
    return 0;
}

tube *tube_alloc(const sim_model *m, const tube_opts *o, pb_error *err)
{
    (void)m;
    (void)o;
    pb_error_set(
        err, PB_EINVAL,
        "bounds.tube: this build has no tube (configure with -DPB_WITH_TUBE=ON; needs Arb)");
    return NULL;
}

void tube_free(tube *w)
{
    (void)w;
}

int tube_set_params(tube *w, const double p[], pb_error *err)
{
    (void)w;
    (void)p;
    return pb_error_set(err, PB_EINVAL, "this build has no tube");
}

int tube_prepare(tube *w, const sim_trace *orig, const double dist[], pb_error *err)
{
    (void)w;
    (void)orig;
    (void)dist;
    return pb_error_set(err, PB_EINVAL, "this build has no tube");
}

void tube_lipschitz_sample(const tube *w, double *Lx, double *Lu, double *Lpi)
{
    (void)w;
    *Lx = *Lu = *Lpi = NAN;
}

int tube_eval(tube *w, const mlp *net, double bound[], tube_info *info, pb_error *err)
{
    (void)w;
    (void)net;
    (void)bound;
    (void)info;
    return pb_error_set(err, PB_EINVAL, "this build has no tube");
}

#else

#include <arb_mat.h>

#define PREC PLANT_BOX_PREC

int tube_is_available(void)
{
    return 1;
}

/* An error set z + {w : ||R_k w|| <= r} of one exact loop's offset from the
 * recorded states (tube.h). */
typedef struct tube_set {
    double c[PLANT_NX_MAX]; /* centre */
    double r;               /* radius in the metric of the row */
} tube_set;

struct tube {
    const sim_model *m;
    const plant_type *T;
    double *p; /* [np] the plant's parameters */
    tube_opts o;
    size_t nx, nu, nxu, rows;
    size_t nin;    /* the policy's inputs: nx, or the observation map's outputs */
    double *obsD;  /* [nin x nx] the affine observation map's matrix, or NULL */
    double *obs0;  /* [rows x nin] its value at x = 0 (reference and time of the row) */
    size_t K;      /* rows the original loop reached */
    size_t kvalid; /* rows 0 .. kvalid - 1 are enclosed (<= K) */
    double h;
    double ulo[PLANT_NU_MAX], uhi[PLANT_NU_MAX], slo[PLANT_NX_MAX], shi[PLANT_NX_MAX];
    double *xs;    /* [rows x nx] recorded original states */
    double *ub;    /* [rows x nu] the input it applied: sat(u + d) */
    double *dist;  /* [rows x nu] */
    double *ref;   /* [rows x nx] */
    double *A;     /* [rows x nx x nx] the original loop linearised at the record */
    double *R;     /* [rows x nx x nx] upper Cholesky factor of the metric P_k */
    arb_ptr Rinv;  /* [rows x nx x nx] an enclosure of R_k^{-1} */
    double *rowb;  /* [rows x nx] >= ||row i of R_k^{-1}|| */
    double *rinvn; /* [rows] >= ||R_k^{-1}||_2 */
    tube_set *so;  /* [rows] the original loop's own offset */
    double *ao;    /* [rows x nu x 2] an enclosure of the original's input over its set */
    /* The network being bounded, in balls (exact copies of the doubles). */
    size_t n_w, n_b, max_w;
    arb_ptr W, b;
    arb_ptr h1, h2, G1, G2, sd; /* [max_w], [max_w], [max_w x nx] x 2, [max_w] */
    arb_ptr sdall;              /* [n_b] every layer's activation slopes */
    /* Flow scratch. */
    arb_ptr Xi, B, Bn, F, FB, U, X, X0, vals, vals0, v, q, tg, tgn; /* [nxu] each */
    arb_mat_t Tm, J, Pw, Tmp, Phi, Ja, M, N, N2, Rk1, Rk, Ri;
    arb_mat_t G, RG; /* [nx x nu]: the differential step's Phi_u, R_{k+1} Phi_u */
    arb_t t0, t1, t2, tau, tau0, tau01, tk, zero;
    double *pbx, *pbu, *pbf, *pjx, *pju; /* the slot's pairs */
    double *spec_w, *nm;
    double Lx, Lu, Lpi; /* tube_lipschitz_sample */
};

/* ---- Small helpers ---- */

static double arb_upper(const arb_t x)
{
    arf_t b;
    double d;
    arf_init(b);
    arb_get_ubound_arf(b, x, PREC);
    d = arf_get_d(b, ARF_RND_CEIL);
    arf_clear(b);
    return arb_is_finite(x) ? d : INFINITY;
}

/* |x| <= the returned double. */
static double arb_abs_upper(const arb_t x)
{
    arf_t b;
    double d;
    if (!arb_is_finite(x))
        return INFINITY;
    arf_init(b);
    arb_get_abs_ubound_arf(b, x, PREC);
    d = arf_get_d(b, ARF_RND_CEIL);
    arf_clear(b);
    return d;
}

static void arb_get_pair(const arb_t x, double *lo, double *hi)
{
    double p[2];
    plant_box_put(x, p);
    *lo = p[0];
    *hi = p[1];
}

static void arb_set_pair(arb_t x, double lo, double hi)
{
    double p[2] = {lo, hi};
    plant_box_get(x, p);
}

/* Upper bound of ||N||_2 for an n x nc ball matrix: the certified spectral
 * norm of the nearest doubles (pb_norm.h) plus the Frobenius norm of the rest. */
static double mat_norm2_upper_rect(tube *w, const arb_mat_t N, size_t n, size_t nc)
{
    double s;
    pb_error e;
    arb_zero(w->t1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nc; j++) {
            const arb_struct *x = arb_mat_entry(N, i, j);
            if (!arb_is_finite(x))
                return INFINITY;
            w->nm[i * nc + j] = arf_get_d(arb_midref(x), ARF_RND_NEAR);
            plant_arb_sub_d(w->t0, x, w->nm[i * nc + j], PREC);
            arb_abs(w->t0, w->t0);
            arb_addmul(w->t1, w->t0, w->t0, PREC);
        }
    if (pb_spectral_norm(n, nc, w->nm, w->spec_w, &s, &e) != PB_SUCCESS)
        return INFINITY;
    arb_sqrtpos(w->t1, w->t1, PREC);
    plant_arb_add_d(w->t1, w->t1, s, PREC);
    return arb_upper(w->t1);
}

static double mat_norm2_upper(tube *w, const arb_mat_t N, size_t n)
{
    return mat_norm2_upper_rect(w, N, n, n);
}

/* ---- The plant over a box (the slot, through pairs of doubles) ---- */

/* F := f(X, U) and, when J, the (nxu x nxu) Jacobian of (f, 0) over the box. */
static int box_eval(tube *w, arb_srcptr X, arb_srcptr U, arb_ptr F, arb_mat_t J)
{
    size_t nx = w->nx, nu = w->nu;
    int rc = PB_SUCCESS;
    for (size_t i = 0; i < nx; i++)
        rc |= plant_box_put(X + i, w->pbx + 2 * i);
    for (size_t i = 0; i < nu; i++)
        rc |= plant_box_put(U + i, w->pbu + 2 * i);
    if (rc)
        return PB_EDIVERGED;
    rc = w->T->jac_box(w->pbx, w->pbu, w->p, F ? w->pbf : NULL, J ? w->pjx : NULL,
                       J ? w->pju : NULL);
    if (rc)
        return PB_EDIVERGED;
    if (F)
        for (size_t i = 0; i < nx; i++)
            plant_box_get(F + i, w->pbf + 2 * i);
    if (J) {
        arb_mat_zero(J);
        for (size_t i = 0; i < nx; i++) {
            for (size_t j = 0; j < nx; j++)
                plant_box_get(arb_mat_entry(J, i, j), w->pjx + 2 * (i * nx + j));
            for (size_t j = 0; j < nu; j++)
                plant_box_get(arb_mat_entry(J, i, nx + j), w->pju + 2 * (i * nu + j));
        }
    }
    return PB_SUCCESS;
}

/* Widens a candidate a-priori box (any widening is sound: it is verified). */
static void box_inflate(arb_ptr B, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double lo, hi, g;
        arb_get_pair(B + i, &lo, &hi);
        g = 0.1 * (hi - lo) + 1e-12 * (1.0 + fmax(fabs(lo), fabs(hi)));
        arb_set_pair(B + i, lo - g, hi + g);
    }
}

/* T := an enclosure of the transfer matrix of y' = A(s) y over one substep of
 * length tau for every A(s) in the ball matrix J (nxu x nxu, its last nu rows
 * zero): the Peano-Baker series sum_j tau^j/j! J^j up to j = order, each
 * term's integrand in the interval power J^j and the simplex of volume
 * tau^j/j! (so the average lies in the box), plus its tail, entrywise at most
 * sum_{j > order} (tau a)^j / j! <= (tau a)^(order+1)/(order+1)! e^(tau a),
 * a >= ||J||_inf, on the first nx rows (the last nu rows are exactly (0 I)). */
static void transfer(tube *w, arb_mat_t T, const arb_mat_t J)
{
    size_t nx = w->nx, nxu = w->nxu, ord = w->o.order;
    double a = 0.0;
    arb_mat_t Pa, Pt, Jt, Tt, Xt;
    /* The terms tau^j/j! J^j = [[A_j, B_j], [0, 0]] for j >= 1: each is
     * A_{j-1} times J's first nx rows, the zero rows and columns skipped
     * (exact zeros: the same balls as the full product). */
    arb_mat_window_init(Pa, w->Pw, 0, 0, (slong)nx, (slong)nx);
    arb_mat_window_init(Pt, w->Pw, 0, 0, (slong)nx, (slong)nxu);
    arb_mat_window_init(Jt, J, 0, 0, (slong)nx, (slong)nxu);
    arb_mat_window_init(Tt, T, 0, 0, (slong)nx, (slong)nxu);
    arb_mat_window_init(Xt, w->Tmp, 0, 0, (slong)nx, (slong)nxu);
    arb_mat_one(T);
    arb_mat_zero(w->Pw);
    arb_mat_scalar_mul_arb(Pt, Jt, w->tau, PREC);
    arb_mat_add(Tt, Tt, Pt, PREC);
    for (size_t j = 2; j <= ord; j++) {
        arb_mat_mul(Xt, Pa, Jt, PREC);
        arb_mat_scalar_mul_arb(Pt, Xt, w->tau, PREC);
        arb_mat_scalar_div_si(Pt, Pt, (slong)j, PREC);
        arb_mat_add(Tt, Tt, Pt, PREC);
    }
    arb_mat_window_clear(Pa);
    arb_mat_window_clear(Pt);
    arb_mat_window_clear(Jt);
    arb_mat_window_clear(Tt);
    arb_mat_window_clear(Xt);
    for (size_t i = 0; i < nx; i++) {
        arb_zero(w->t0);
        for (size_t j = 0; j < nxu; j++) {
            arb_abs(w->t1, arb_mat_entry(J, i, j));
            arb_add(w->t0, w->t0, w->t1, PREC);
        }
        a = fmax(a, arb_upper(w->t0));
    }
    /* x = tau a; tail = x^(ord+1) / (ord+1)! e^x */
    plant_arb_mul_d(w->t0, w->tau, a, PREC);
    arb_exp(w->t1, w->t0, PREC);
    arb_pow_ui(w->t2, w->t0, ord + 1, PREC);
    arb_mul(w->t1, w->t1, w->t2, PREC);
    arb_fac_ui(w->t2, ord + 1, PREC);
    arb_div(w->t1, w->t1, w->t2, PREC);
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < nxu; j++)
            arb_add_error(arb_mat_entry(T, i, j), w->t1);
}

/* y := J y for the x block of w->J (nx x nx), y of nx balls (w->q scratch). */
static void jmul(tube *w, arb_ptr y)
{
    size_t nx = w->nx;
    for (size_t j = 0; j < nx; j++)
        arb_dot(w->q + j, NULL, 0, arb_mat_entry(w->J, j, 0), 1, y, 1, (slong)nx, PREC);
    _arb_vec_set(y, w->q, nx);
}

/* tg := an enclosure of x(tau) - x(0) over one substep, for every start
 * x(0) in Xi, from F = f(Xi, U), FB = f(B, U) and J = f_x(B, U) over the
 * a-priori box B (the x block of w->J), q = opts.taylor >= 2:
 *   x(tau) - x(0) in sum_{k=1}^{q-1} tau^k/k! J^{k-1} F + tau^q/q! J^{q-1} FB.
 * Picard's iteration on interval polynomials in s in [0, tau]: x(s) - x(0)
 * lies in s FB (x stays in B), and if it lies in p(s) = sum_k a_k s^k then
 * f(x(s)) = f(x(0)) + Jbar(s) (x(s) - x(0)), Jbar(s) the mean of f_x on the
 * segment (inside the convex J), so x(s) - x(0) = int_0^s f(x(r)) dr lies in
 * s F + sum_k J a_k s^(k+1)/(k+1) (r^k >= 0 keeps each product's range in the
 * interval product).  Iterated q - 1 times from s FB: the degree-q form, its
 * remainder term in the a-priori box.  For a linear plant J is exact, so
 * only the remainder (of order tau^(q+1) |J|^q |f|) and the rounding are
 * widths (docs/TUBE.md section 2).  q = 2 is Taylor with the integral
 * remainder, tau F + tau^2/2 J FB. */
static void taylor_step(tube *w)
{
    size_t nx = w->nx, q = w->o.taylor;
    /* the remainder term first: tau^q/q! J^(q-1) FB */
    _arb_vec_set(w->tg, w->FB, nx);
    for (size_t k = 1; k < q; k++)
        jmul(w, w->tg);
    arb_pow_ui(w->tk, w->tau, q, PREC);
    arb_fac_ui(w->t1, q, PREC);
    arb_div(w->tk, w->tk, w->t1, PREC);
    _arb_vec_scalar_mul(w->tg, w->tg, (slong)nx, w->tk, PREC);
    /* then sum_{k=1}^{q-1} tau^k/k! J^(k-1) F */
    _arb_vec_set(w->tgn, w->F, nx);
    arb_set(w->tk, w->tau);
    for (size_t k = 1; k < q; k++) {
        if (k > 1) {
            jmul(w, w->tgn);
            arb_mul(w->tk, w->tk, w->tau, PREC);
            arb_div_ui(w->tk, w->tk, k, PREC);
        }
        for (size_t j = 0; j < nx; j++)
            arb_addmul(w->tg + j, w->tk, w->tgn + j, PREC);
    }
}

/* Phi := Tm Phi, both of the form [[A, B], [0, I]] (nxu x nxu): the first
 * nx rows become A_T [A_Phi, B_Phi] + [0, B_T], the rest stay (0 I). */
static void phi_compose(tube *w, arb_mat_t Phi)
{
    size_t nx = w->nx, nxu = w->nxu;
    arb_mat_t Ta, Pt, Xt;
    arb_mat_window_init(Ta, w->Tm, 0, 0, (slong)nx, (slong)nx);
    arb_mat_window_init(Pt, Phi, 0, 0, (slong)nx, (slong)nxu);
    arb_mat_window_init(Xt, w->Tmp, 0, 0, (slong)nx, (slong)nxu);
    arb_mat_mul(Xt, Ta, Pt, PREC);
    for (size_t i = 0; i < nx; i++)
        for (size_t j = nx; j < nxu; j++)
            arb_add(arb_mat_entry(w->Tmp, i, j), arb_mat_entry(w->Tmp, i, j),
                    arb_mat_entry(w->Tm, i, j), PREC);
    arb_mat_set(Pt, Xt);
    arb_mat_window_clear(Ta);
    arb_mat_window_clear(Pt);
    arb_mat_window_clear(Xt);
}

/* Times a substep is halved when its a-priori box is not found (flow). */
#define TUBE_SPLIT_MAX 8u
/* Rounds of widening per try of an a-priori box. */
#define TUBE_APRIORI_ROUNDS 8

/* For the substep [0, tau] from Xi under U: B, with FB = f(B, U), J = the
 * Jacobian over B and Bn = Xi + [0, tau] FB inside B (*ok = 1), checked in
 * Arb: by Picard-Lindelof every solution from Xi stays in B over the
 * substep.  Starting from Xi + [0, tau] f(Xi, U) slightly widened, each
 * failed round widens only the components of B that Bn left (their union
 * with Bn, then 10 %): the others stay, so products such as q w do not grow
 * through components that were never needed (Nedialkov, Jackson and
 * Corliss 1999).  *ok = 0 when no box is found in TUBE_APRIORI_ROUNDS
 * rounds; PB_EDIVERGED when the slot refuses a box. */
static int apriori_box(tube *w, arb_srcptr U, int *ok)
{
    size_t nx = w->nx;
    int rc;
    *ok = 0;
    if ((rc = box_eval(w, w->Xi, U, w->F, NULL)))
        return rc;
    for (size_t j = 0; j < nx; j++) {
        arb_set(w->B + j, w->Xi + j);
        arb_addmul(w->B + j, w->tau01, w->F + j, PREC);
        box_inflate(w->B + j, 1);
    }
    for (int it = 0; it < TUBE_APRIORI_ROUNDS; it++) {
        int all = 1;
        if (box_eval(w, w->B, U, w->FB, w->J))
            return PB_SUCCESS; /* a box the slot refuses (e.g. a pitch of pi/2):
                                  a shorter substep may not need it */
        for (size_t j = 0; j < nx; j++) {
            arb_set(w->Bn + j, w->Xi + j);
            arb_addmul(w->Bn + j, w->tau01, w->FB + j, PREC);
            if (!arb_contains(w->B + j, w->Bn + j)) {
                all = 0;
                arb_union(w->B + j, w->B + j, w->Bn + j, PREC);
                box_inflate(w->B + j, 1);
            }
        }
        if (all) {
            *ok = 1;
            return PB_SUCCESS;
        }
    }
    return PB_SUCCESS;
}

/* The one-period flow over the box X (nx) x U (nu), input held, in m
 * substeps: Xend (if not NULL) := an enclosure of x(h) for every start in the
 * box, Phi (if not NULL, nxu x nxu) := an enclosure of the Jacobian of
 * (x(h), u) with respect to (x(0), u).  Per substep: an a-priori box B with
 * X_i + [0, tau] f(B, U) inside B (Picard-Lindelof: every solution from X_i
 * stays in B over the substep), then X_{i+1} = X_i + tau f(X_i, U) +
 * tau^2/2 f_x(B) f(B) (Taylor with the integral remainder, x'' = f_x f)
 * intersected with X_i + [0, tau] f(B), and the transfer matrix over B.
 * A substep whose a-priori box is not found is halved, up to TUBE_SPLIT_MAX
 * times (apriori_box).  PB_ENUMERIC when no a-priori box is found even
 * then, PB_EDIVERGED when an enclosure is not finite. */
static int flow(tube *w, arb_srcptr X, arb_srcptr U, size_t m, arb_ptr Xend, arb_mat_t Phi)
{
    size_t nx = w->nx;
    int rc;
    arb_set_d(w->tau0, w->h);
    arb_div_ui(w->tau0, w->tau0, m, PREC);
    arb_zero(w->zero);
    _arb_vec_set(w->Xi, X, nx);
    if (Phi)
        arb_mat_one(Phi);
    for (size_t i = 0; i < m; i++) {
        /* One nominal substep tau0 as dyadic pieces tau0 / 2^d: a piece whose
         * a-priori box is not found is halved (up to TUBE_SPLIT_MAX times),
         * and after a success the piece doubles again when it is aligned.
         * pos counts the substep's time done in units of tau0 / 2^SPLIT_MAX,
         * so the pieces add up to tau0 exactly. */
        unsigned long pos = 0, full = 1UL << TUBE_SPLIT_MAX;
        unsigned d = 0;
        while (pos < full) {
            int ok;
            arb_mul_2exp_si(w->tau, w->tau0, -(slong)d);
            arb_union(w->tau01, w->tau, w->zero, PREC);
            if ((rc = apriori_box(w, U, &ok)))
                return rc;
            if (!ok) {
                if (d >= TUBE_SPLIT_MAX)
                    return PB_ENUMERIC;
                d++;
                continue;
            }
            /* X_{i+1}: the Taylor form of degree `taylor` in tau (taylor_step),
             * intersected with the first-order box. */
            taylor_step(w);
            for (size_t j = 0; j < nx; j++) {
                arb_add(w->t0, w->Xi + j, w->tg + j, PREC);
                if (!arb_intersection(w->Xi + j, w->t0, w->Bn + j, PREC))
                    arb_set(w->Xi + j, w->Bn + j); /* cannot happen: both hold x(tau) */
                if (!arb_is_finite(w->Xi + j))
                    return PB_EDIVERGED;
            }
            if (Phi) {
                transfer(w, w->Tm, w->J);
                phi_compose(w, Phi);
            }
            pos += full >> d;
            if (d > 0 && (pos & (((full >> d) << 1) - 1)) == 0)
                d--; /* aligned on the piece twice as long: try it again */
        }
    }
    if (Xend)
        _arb_vec_set(Xend, w->Xi, nx);
    return PB_SUCCESS;
}

/* ---- The policies over a box ---- */

/* Loads net's weights and biases as balls (exact). */
static int net_load(tube *w, const mlp *net, pb_error *err)
{
    const mlp *o = w->m->orig;
    size_t iw = 0, ib = 0;
    if (net->n_layers != o->n_layers || net->n_in != o->n_in || net->n_out != o->n_out)
        return pb_error_set(err, PB_EINVAL, "tube: the network's layout is not the original's");
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (L->n_in != o->layers[l].n_in || L->n_out != o->layers[l].n_out)
            return pb_error_set(err, PB_EINVAL, "tube: layer %zu's shape is not the original's",
                                l + 1);
        for (size_t i = 0; i < L->n_in * L->n_out; i++)
            arb_set_d(w->W + iw++, L->W[i]);
        for (size_t i = 0; i < L->n_out; i++)
            arb_set_d(w->b + ib++, L->b[i]);
    }
    return PB_SUCCESS;
}

/* v := clip(v, lo, hi) over the ball, s := an enclosure of its (Clarke)
 * derivative there: 1 strictly inside, 0 strictly outside, [0, 1] across a
 * limit.  Monotone, so [clip(a), clip(b)] encloses the range. */
static void clip_ball(arb_t v, double lo, double hi, arb_t s)
{
    double a, b;
    arb_get_pair(v, &a, &b);
    if (a > lo && b < hi) {
        arb_one(s);
        return;
    }
    if (b < lo || a > hi)
        arb_zero(s);
    else
        arb_set_pair(s, 0.0, 1.0);
    arb_set_pair(v, fmin(fmax(a, lo), hi), fmin(fmax(b, lo), hi));
}

/* h := sigma(z), s := an enclosure of sigma' over the ball z (the Clarke
 * derivative at a kink). */
static void act_ball(tube *w, mlp_act act, double alpha, const arb_t z, arb_t h, arb_t s)
{
    double a, b;
    switch (act) {
    case MLP_ACT_RELU:
    case MLP_ACT_LEAKY_RELU: {
        double al = act == MLP_ACT_RELU ? 0.0 : alpha;
        arb_get_pair(z, &a, &b);
        if (a > 0.0) {
            arb_set(h, z);
            arb_one(s);
        } else if (b < 0.0) {
            plant_arb_mul_d(h, z, al, PREC);
            arb_set_d(s, al);
        } else { /* a <= 0 <= b: sigma is monotone, its range [al a, b] */
            double lo, hi;
            plant_arb_mul_d(w->t2, z, al, PREC);
            arb_get_pair(w->t2, &lo, &hi);
            arb_set_pair(h, fmin(lo, 0.0), b);
            arb_set_pair(s, al, 1.0);
        }
        return;
    }
    case MLP_ACT_TANH:
        arb_tanh(h, z, PREC);
        arb_sqr(w->t2, h, PREC);
        arb_one(s);
        arb_sub(s, s, w->t2, PREC);
        return;
    case MLP_ACT_SIGMOID:
        arb_neg(w->t2, z);
        arb_exp(w->t2, w->t2, PREC);
        arb_add_ui(w->t2, w->t2, 1, PREC);
        arb_inv(h, w->t2, PREC);
        arb_one(w->t2);
        arb_sub(w->t2, w->t2, h, PREC);
        arb_mul(s, h, w->t2, PREC);
        return;
    case MLP_ACT_HARDTANH:
        arb_set(h, z);
        clip_ball(h, -1.0, 1.0, s);
        return;
    default:
        arb_set(h, z);
        arb_one(s);
        return;
    }
}

/* Over the box X (nx) at row k, the loaded network: val (nu) := an enclosure
 * of the applied input sat(pi(s) + d_k), s = x - r(t_k) (or x), and, when Ja
 * is not NULL, Ja (nu x nx) := an enclosure of its Jacobian in x (interval
 * chain rule; every activation and clip contributes its derivative's
 * enclosure, so the Clarke Jacobian at every point of X is inside).  The
 * chain is multiplied from the output backwards (reverse mode: nu rows
 * through each layer, where the forward order carries nx columns); any order
 * of interval products encloses every product of its point elements. */
static void policy_box(tube *w, arb_srcptr X, size_t k, arb_ptr val, arb_mat_t Ja)
{
    const mlp *o = w->m->orig;
    size_t nx = w->nx, nu = w->nu, iw = 0, ib = 0;
    arb_ptr h = w->h1, hn = w->h2, v = w->G1, vn = w->G2;
    int error_input = w->m->input == SIM_INPUT_ERROR;

    for (size_t i = 0; i < w->nin; i++) {
        if (w->obsD) { /* s = g(0, r_k, t_k) + D x, as the engine's g(x, r_k, t_k) */
            arb_set_d(h + i, w->obs0[k * w->nin + i]);
            for (size_t c = 0; c < nx; c++)
                plant_arb_addmul_d(h + i, X + c, w->obsD[i * nx + c], PREC);
        } else
            plant_arb_sub_d(h + i, X + i, error_input ? w->ref[k * nx + i] : 0.0, PREC);
        if (o->in_offset) {
            plant_arb_sub_d(h + i, h + i, o->in_offset[i], PREC);
            plant_arb_mul_d(h + i, h + i, o->in_scale[i], PREC);
        }
    }
    /* the forward pass, keeping every layer's activation slopes in sdall */
    for (size_t l = 0; l < o->n_layers; l++) {
        const mlp_layer *L = &o->layers[l];
        size_t ni = L->n_in, no = L->n_out;
        for (size_t r = 0; r < no; r++) {
            arb_dot(w->t0, w->b + ib + r, 0, w->W + iw + r * ni, 1, h, 1, (slong)ni, PREC);
            act_ball(w, L->act, L->alpha, w->t0, hn + r, w->sdall + ib + r);
        }
        iw += ni * no;
        ib += no;
        {
            arb_ptr t = h;
            h = hn;
            hn = t;
        }
    }
    for (size_t i = 0; i < nu; i++) {
        arb_set(val + i, h + i);
        arb_one(w->sd + i); /* d val / d h_L */
        if (o->out_offset) {
            plant_arb_sub_d(val + i, val + i, o->out_offset[i], PREC);
            plant_arb_mul_d(val + i, val + i, o->out_scale[i], PREC);
            arb_set_d(w->sd + i, o->out_scale[i]);
            clip_ball(val + i, o->out_low[i], o->out_high[i], w->t2);
            arb_mul(w->sd + i, w->sd + i, w->t2, PREC);
        }
        plant_arb_add_d(val + i, val + i, w->dist[k * nu + i], PREC);
        clip_ball(val + i, w->ulo[i], w->uhi[i], w->t2);
        arb_mul(w->sd + i, w->sd + i, w->t2, PREC);
    }
    if (!Ja)
        return;
    /* row i of Ja: e_i^T D_out S_L W_L ... S_1 W_1 D_in, from the left */
    for (size_t i = 0; i < nu; i++) {
        size_t jw = iw, jb = ib;
        for (size_t r = 0; r < nu; r++)
            arb_zero(v + r);
        arb_set(v + i, w->sd + i);
        for (size_t l = o->n_layers; l-- > 0;) {
            const mlp_layer *L = &o->layers[l];
            size_t ni = L->n_in, no = L->n_out;
            jw -= ni * no;
            jb -= no;
            for (size_t r = 0; r < no; r++)
                arb_mul(v + r, v + r, w->sdall + jb + r, PREC);
            for (size_t c = 0; c < ni; c++)
                arb_dot(vn + c, NULL, 0, v, 1, w->W + jw + c, (slong)ni, (slong)no, PREC);
            {
                arb_ptr t = v;
                v = vn;
                vn = t;
            }
        }
        for (size_t c = 0; c < w->nin; c++)
            if (o->in_offset)
                plant_arb_mul_d(v + c, v + c, o->in_scale[c], PREC);
        for (size_t c = 0; c < nx; c++) {
            if (w->obsD) { /* the chain through s = g(0) + D x */
                arb_zero(arb_mat_entry(Ja, i, c));
                for (size_t j = 0; j < w->nin; j++)
                    plant_arb_addmul_d(arb_mat_entry(Ja, i, c), v + j, w->obsD[j * nx + c],
                                       PREC);
            } else
                arb_set(arb_mat_entry(Ja, i, c), v + c);
        }
    }
}

/* ---- One step of a set ---- */

/* s (the set of the exact state at row k) := the set at row k + 1 under the
 * loaded network (tube.h).  With c = s->c and X the box of the set:
 *   x*_{k+1} = Phi(c, a(c)) + (Phi_x + Phi_u J_a)(x*_k - c)
 * by the mean-value theorem on the segment from (c, a(c)) to (x*_k, a(x*_k)),
 * which lies in X x a(X) (a the applied input, J_a its Jacobian: both
 * enclosed over X).  Phi(c, a(c)) is enclosed by the validated flow from the
 * point; its midpoint is the new centre, its radius and the rounding go into
 * the ball: r' >= ||R_{k+1} M R_k^{-1}||_2 r + || |R_{k+1}| eta ||.
 * target: the radius the point flow's enclosure should not exceed.
 * PB_SUCCESS, or the flow's code (the tube ends). */
static int set_step(tube *w, tube_set *s, size_t k, double target)
{
    size_t nx = w->nx, nu = w->nu;
    const double *R1 = w->R + (k + 1) * nx * nx;
    double rho, kappa, cn[PLANT_NX_MAX];
    int rc;

    for (size_t i = 0; i < nx; i++) {
        arb_set_d(w->t0, s->r);
        plant_arb_mul_d(w->t0, w->t0, w->rowb[k * nx + i], PREC);
        arb_set_d(w->X + i, s->c[i]);
        arb_add_error(w->X + i, w->t0);
        arb_set_d(w->X0 + i, s->c[i]);
    }
    policy_box(w, w->X, k, w->vals, w->Ja);
    policy_box(w, w->X0, k, w->vals0, NULL);
    for (size_t i = 0; i < nu; i++)
        arb_union(w->U + i, w->vals + i, w->vals0 + i, PREC);
    /* Phi(c, a(c)): the flow from the point (its input a ball of rounding),
     * in substeps_point substeps, or more when its width exceeds the target:
     * the Taylor remainder shrinks as 1/m^2, so one retry with m scaled by
     * the square root of the excess (any m is sound; only the width varies). */
    {
        size_t m = w->o.substeps_point;
        for (int tries = 0; tries < 2; tries++) {
            double wmax = 0.0;
            if ((rc = flow(w, w->X0, w->vals0, m, w->v, NULL)))
                return rc;
            for (size_t i = 0; i < nx; i++)
                wmax = fmax(wmax, mag_get_d(arb_radref(w->v + i)));
            if (!(wmax > target) || m >= w->o.substeps_point_max)
                break;
            m = (size_t)ceil((double)m * 1.25 * sqrt(wmax / target));
            if (m > w->o.substeps_point_max)
                m = w->o.substeps_point_max;
        }
    }
    /* the Jacobian over the set (when it is a point, M is not needed) */
    if (s->r > 0.0) {
        if ((rc = flow(w, w->X, w->U, w->o.substeps_set, NULL, w->Phi)))
            return rc;
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++) {
                arb_struct *e = arb_mat_entry(w->M, i, j);
                arb_set(e, arb_mat_entry(w->Phi, i, j));
                for (size_t l = 0; l < nu; l++)
                    arb_addmul(e, arb_mat_entry(w->Phi, i, nx + l), arb_mat_entry(w->Ja, l, j),
                               PREC);
            }
    }
    /* the new centre, eta = |v - c'| */
    for (size_t i = 0; i < nx; i++) {
        cn[i] = arf_get_d(arb_midref(w->v + i), ARF_RND_NEAR);
        plant_arb_sub_d(w->v + i, w->v + i, cn[i], PREC);
        arb_set_d(w->q + i, arb_abs_upper(w->v + i));
    }
    /* rho >= || |R_{k+1}| eta || */
    arb_zero(w->t1);
    for (size_t i = 0; i < nx; i++) {
        arb_zero(w->t0);
        for (size_t j = 0; j < nx; j++)
            plant_arb_addmul_d(w->t0, w->q + j, fabs(R1[i * nx + j]), PREC);
        arb_addmul(w->t1, w->t0, w->t0, PREC);
    }
    arb_sqrtpos(w->t1, w->t1, PREC);
    rho = arb_upper(w->t1);
    kappa = 0.0;
    if (s->r > 0.0) {
        /* kappa >= ||R_{k+1} M R_k^{-1}||_2 */
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++) {
                arb_set_d(arb_mat_entry(w->Rk1, i, j), R1[i * nx + j]);
                arb_set(arb_mat_entry(w->Ri, i, j), w->Rinv + (k * nx + i) * nx + j);
            }
        arb_mat_mul(w->N2, w->Rk1, w->M, PREC);
        arb_mat_mul(w->N, w->N2, w->Ri, PREC);
        kappa = mat_norm2_upper(w, w->N, nx);
    }
    arb_set_d(w->t0, kappa);
    plant_arb_mul_d(w->t0, w->t0, s->r, PREC);
    plant_arb_add_d(w->t0, w->t0, rho, PREC);
    s->r = arb_upper(w->t0);
    memcpy(s->c, cn, nx * sizeof cn[0]);
    return isfinite(s->r) ? PB_SUCCESS : PB_EDIVERGED;
}

/* ---- The differential step of the error set ---- */

/* The error e = x^* - x* of the two exact loops at row k lies in E_k = {e :
 * ||R_k e||_2 <= *rho}, and x* in the original's set so[k] (tube_prepare).
 * *rho := a radius of E_{k+1}, with pi^ the loaded (pruned) network:
 *   e_{k+1} = [Psi^(x + e) - Psi^(x)] + [Phi(x, a^(x)) - Phi(x, a(x))]
 *           = (Phi_x + Phi_u J_a^) e + Phi_u (a^(x) - a(x)),
 * Psi^(x) = Phi(x, a^(x)) the pruned closed loop's map, by the mean-value
 * theorem on the segments from x to x + e (inside the box H = X_k + E_k)
 * and from a(x) to a^(x) (inside U = a^(H) u a(X_k)), with Phi_x, Phi_u
 * enclosed over H x U and J_a^ over H.  The controller difference enters
 * jointly over x in X_k through the differential certificate of
 * bounds_diff.h: ||a^(x) - a(x)||_2 <= ||pi^(s) - pi(s)||_2 <= delta (the
 * saturation is 1-Lipschitz in each component), and the error stays
 * symbolic (linear in e), so it contracts with the loop in the metric:
 *   rho' = ||R_{k+1} M R_k^{-1}||_2 rho + ||R_{k+1} Phi_u||_2 delta.
 * PB_SUCCESS, or the flow's code (the differential bound ends). */
static int diff_step(tube *w, size_t k, const bounds_diff *bd, bounds_diff_work *bw, double *rho)
{
    size_t nx = w->nx, nu = w->nu;
    const double *R1 = w->R + (k + 1) * nx * nx;
    const tube_set *so = &w->so[k];
    double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX], delta, kappa, gam;
    int error_input = w->m->input == SIM_INPUT_ERROR, rc;
    pb_error e;

    for (size_t i = 0; i < nx; i++) {
        /* X_k's box, its policy states, then H = X_k + E_k */
        arb_set_d(w->t0, so->r);
        plant_arb_mul_d(w->t0, w->t0, w->rowb[k * nx + i], PREC);
        arb_set_d(w->X + i, so->c[i]);
        arb_add_error(w->X + i, w->t0);
        plant_arb_sub_d(w->t1, w->X + i, error_input ? w->ref[k * nx + i] : 0.0, PREC);
        arb_get_pair(w->t1, lo + i, hi + i);
        arb_set_d(w->t0, *rho);
        plant_arb_mul_d(w->t0, w->t0, w->rowb[k * nx + i], PREC);
        arb_add_error(w->X + i, w->t0);
    }
    if (bounds_diff_box_upper(bd, lo, hi, bw, &delta, &e) || !isfinite(delta))
        return PB_EDIVERGED;
    policy_box(w, w->X, k, w->vals, w->Ja);
    for (size_t i = 0; i < nu; i++) {
        arb_set_pair(w->t0, w->ao[(k * nu + i) * 2], w->ao[(k * nu + i) * 2 + 1]);
        arb_union(w->U + i, w->vals + i, w->t0, PREC);
    }
    if ((rc = flow(w, w->X, w->U, w->o.substeps_set, NULL, w->Phi)))
        return rc;
    for (size_t i = 0; i < nx; i++) {
        for (size_t j = 0; j < nx; j++) {
            arb_struct *m = arb_mat_entry(w->M, i, j);
            arb_set(m, arb_mat_entry(w->Phi, i, j));
            for (size_t l = 0; l < nu; l++)
                arb_addmul(m, arb_mat_entry(w->Phi, i, nx + l), arb_mat_entry(w->Ja, l, j), PREC);
            arb_set_d(arb_mat_entry(w->Rk1, i, j), R1[i * nx + j]);
            arb_set(arb_mat_entry(w->Ri, i, j), w->Rinv + (k * nx + i) * nx + j);
        }
        for (size_t l = 0; l < nu; l++)
            arb_set(arb_mat_entry(w->G, i, l), arb_mat_entry(w->Phi, i, nx + l));
    }
    arb_mat_mul(w->N2, w->Rk1, w->M, PREC);
    arb_mat_mul(w->N, w->N2, w->Ri, PREC);
    kappa = mat_norm2_upper(w, w->N, nx);
    arb_mat_mul(w->RG, w->Rk1, w->G, PREC);
    gam = mat_norm2_upper_rect(w, w->RG, nx, nu);
    arb_set_d(w->t0, kappa);
    plant_arb_mul_d(w->t0, w->t0, *rho, PREC);
    arb_set_d(w->t1, gam);
    plant_arb_mul_d(w->t1, w->t1, delta, PREC);
    arb_add(w->t0, w->t0, w->t1, PREC);
    *rho = arb_upper(w->t0);
    return isfinite(*rho) ? PB_SUCCESS : PB_EDIVERGED;
}

/* ||R_k (c^ - c)||_2 + r^ + r, rounded up: a radius of E_k from the two sets. */
static double centres_radius(tube *w, size_t k, const tube_set *s)
{
    size_t nx = w->nx;
    const double *R = w->R + k * nx * nx;
    arb_zero(w->t1);
    for (size_t i = 0; i < nx; i++) {
        arb_zero(w->t0);
        for (size_t j = 0; j < nx; j++) {
            arb_set_d(w->t2, s->c[j]);
            plant_arb_sub_d(w->t2, w->t2, w->so[k].c[j], PREC);
            plant_arb_addmul_d(w->t0, w->t2, R[i * nx + j], PREC);
        }
        arb_addmul(w->t1, w->t0, w->t0, PREC);
    }
    arb_sqrtpos(w->t1, w->t1, PREC);
    plant_arb_add_d(w->t1, w->t1, s->r, PREC);
    plant_arb_add_d(w->t1, w->t1, w->so[k].r, PREC);
    return arb_upper(w->t1);
}

/* ---- Lifecycle ---- */

tube *tube_alloc(const sim_model *m, const tube_opts *o, pb_error *err)
{
    const plant_type *T = m->plant->type;
    size_t nx = T->nx, nu = T->nu, rows = m->n_steps + 1, nw = 0, nb = 0, mw;
    tube *w;

    if (!tube_plant_is_supported(T)) {
        pb_error_set(err, PB_EINVAL,
                     "bounds.tube: plant '%s' has no interval Jacobian (jac_box); the tube is "
                     "available for the built-in plants, not for user-defined ones",
                     T->name);
        return NULL;
    }
    if (!m->orig) {
        pb_error_set(err, PB_EINVAL, "bounds.tube needs an MLP policy");
        return NULL;
    }
    if ((!m->obs && m->orig->n_in != nx) || m->orig->n_out != nu) {
        pb_error_set(err, PB_EINVAL,
                     "bounds.tube: the policy must map the %zu states to the %zu "
                     "inputs",
                     nx, nu);
        return NULL;
    }
    if (m->obs) {
        double D[SIM_OBS_MAX * PLANT_NX_MAX];
        if (plant_expr_map_n_out(m->obs) != m->orig->n_in ||
            !plant_expr_map_affine(m->obs, D)) {
            pb_error_set(err, PB_EINVAL,
                         "bounds.tube: the policy's observation map is not recognised as "
                         "affine in the states (a derivative in them, as libmatheval writes "
                         "it, reads a name; sums and differences of states and constants "
                         "pass): the tube encloses affine maps of the state box only");
            return NULL;
        }
        if (o && o->differential) {
            pb_error_set(err, PB_EINVAL,
                         "bounds.tube_method: only \"centres\" supports a policy behind an "
                         "observation map");
            return NULL;
        }
    }
    w = calloc(1, sizeof *w);
    if (!w) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    w->m = m;
    w->T = T;
    w->p = calloc(T->np + 1, sizeof *w->p);
    if (!w->p) {
        free(w);
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(w->p, m->plant->p, T->np * sizeof *w->p);
    if (o)
        w->o = *o;
    else
        tube_opts_init(&w->o);
    if (w->o.substeps_point == 0 || w->o.substeps_set == 0 || w->o.order == 0 || w->o.taylor < 2 ||
        w->o.taylor > 30 || w->o.substeps_point_max < w->o.substeps_point ||
        !(w->o.point_atol > 0.0) || !(w->o.point_rtol >= 0.0)) {
        free(w->p);
        free(w);
        pb_error_set(err, PB_EINVAL,
                     "tube: substeps and order must be >= 1, taylor in 2 .. 30, "
                     "substeps_point_max >= substeps_point, point_atol > 0, point_rtol >= 0, "
                     "differential 0, 1 or 2");
        return NULL;
    }
    w->nx = nx;
    w->nu = nu;
    w->nxu = nx + nu;
    w->nin = m->orig->n_in;
    w->rows = rows;
    w->h = m->period;
    T->input_limits(w->p, w->ulo, w->uhi);
    T->state_limits(w->p, w->slo, w->shi);
    mw = m->orig->max_width > nx ? m->orig->max_width : nx;
    for (size_t l = 0; l < m->orig->n_layers; l++) {
        nw += m->orig->layers[l].n_in * m->orig->layers[l].n_out;
        nb += m->orig->layers[l].n_out;
    }
    w->n_w = nw;
    w->n_b = nb;
    w->max_w = mw;
    w->xs = calloc(rows * nx, sizeof *w->xs);
    w->ub = calloc(rows * nu, sizeof *w->ub);
    w->dist = calloc(rows * nu, sizeof *w->dist);
    w->ref = calloc(rows * nx, sizeof *w->ref);
    w->A = calloc(rows * nx * nx, sizeof *w->A);
    w->R = calloc(rows * nx * nx, sizeof *w->R);
    w->rowb = calloc(rows * nx, sizeof *w->rowb);
    w->rinvn = calloc(rows, sizeof *w->rinvn);
    w->so = calloc(rows, sizeof *w->so);
    w->ao = calloc(rows * nu * 2, sizeof *w->ao);
    w->pbx = calloc(2 * nx, sizeof(double));
    w->pbu = calloc(2 * nu, sizeof(double));
    w->pbf = calloc(2 * nx, sizeof(double));
    w->pjx = calloc(2 * nx * nx, sizeof(double));
    w->pju = calloc(2 * nx * nu, sizeof(double));
    w->spec_w = calloc(pb_spectral_work_size(w->nxu, w->nxu), sizeof(double));
    w->nm = calloc(w->nxu * w->nxu, sizeof(double));
    if (m->obs) {
        w->obsD = calloc(w->nin * nx, sizeof(double));
        w->obs0 = calloc(rows * w->nin, sizeof(double));
        if (!w->obsD || !w->obs0 || !plant_expr_map_affine(m->obs, w->obsD)) {
            tube_free(w);
            pb_error_set(err, PB_ENOMEM, "out of memory");
            return NULL;
        }
    }
    if (!w->xs || !w->ub || !w->dist || !w->ref || !w->A || !w->R || !w->rowb || !w->rinvn ||
        !w->so || !w->ao || !w->pbx || !w->pbu || !w->pbf || !w->pjx || !w->pju || !w->spec_w ||
        !w->nm) {
        tube_free(w);
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    w->Rinv = _arb_vec_init((slong)(rows * nx * nx));
    w->W = _arb_vec_init((slong)nw);
    w->b = _arb_vec_init((slong)nb);
    w->h1 = _arb_vec_init((slong)mw);
    w->h2 = _arb_vec_init((slong)mw);
    w->sd = _arb_vec_init((slong)mw);
    w->sdall = _arb_vec_init((slong)nb);
    w->G1 = _arb_vec_init((slong)(mw * nx));
    w->G2 = _arb_vec_init((slong)(mw * nx));
    {
        arb_ptr *v[] = {&w->Xi, &w->B,    &w->Bn,    &w->F, &w->FB, &w->U,  &w->X,
                        &w->X0, &w->vals, &w->vals0, &w->v, &w->q,  &w->tg, &w->tgn};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            *v[i] = _arb_vec_init((slong)w->nxu);
    }
    arb_mat_init(w->Tm, (slong)w->nxu, (slong)w->nxu);
    arb_mat_init(w->J, (slong)w->nxu, (slong)w->nxu);
    arb_mat_init(w->Pw, (slong)w->nxu, (slong)w->nxu);
    arb_mat_init(w->Tmp, (slong)w->nxu, (slong)w->nxu);
    arb_mat_init(w->Phi, (slong)w->nxu, (slong)w->nxu);
    arb_mat_init(w->Ja, (slong)nu, (slong)nx);
    arb_mat_init(w->M, (slong)nx, (slong)nx);
    arb_mat_init(w->N, (slong)nx, (slong)nx);
    arb_mat_init(w->N2, (slong)nx, (slong)nx);
    arb_mat_init(w->Rk1, (slong)nx, (slong)nx);
    arb_mat_init(w->Rk, (slong)nx, (slong)nx);
    arb_mat_init(w->Ri, (slong)nx, (slong)nx);
    arb_mat_init(w->G, (slong)nx, (slong)nu);
    arb_mat_init(w->RG, (slong)nx, (slong)nu);
    arb_init(w->t0);
    arb_init(w->t1);
    arb_init(w->t2);
    arb_init(w->tau);
    arb_init(w->tau0);
    arb_init(w->tau01);
    arb_init(w->tk);
    arb_init(w->zero);
    return w;
}

void tube_free(tube *w)
{
    if (!w)
        return;
    if (w->Rinv) {
        size_t nx = w->nx, nu = w->nu, rows = w->rows;
        (void)nu;
        _arb_vec_clear(w->Rinv, (slong)(rows * nx * nx));
        _arb_vec_clear(w->W, (slong)w->n_w);
        _arb_vec_clear(w->b, (slong)w->n_b);
        _arb_vec_clear(w->h1, (slong)w->max_w);
        _arb_vec_clear(w->h2, (slong)w->max_w);
        _arb_vec_clear(w->sd, (slong)w->max_w);
        _arb_vec_clear(w->sdall, (slong)w->n_b);
        _arb_vec_clear(w->G1, (slong)(w->max_w * nx));
        _arb_vec_clear(w->G2, (slong)(w->max_w * nx));
        {
            arb_ptr v[] = {w->Xi, w->B,    w->Bn,    w->F, w->FB, w->U,  w->X,
                           w->X0, w->vals, w->vals0, w->v, w->q,  w->tg, w->tgn};
            for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
                _arb_vec_clear(v[i], (slong)w->nxu);
        }
        arb_mat_clear(w->Tm);
        arb_mat_clear(w->J);
        arb_mat_clear(w->Pw);
        arb_mat_clear(w->Tmp);
        arb_mat_clear(w->Phi);
        arb_mat_clear(w->Ja);
        arb_mat_clear(w->M);
        arb_mat_clear(w->N);
        arb_mat_clear(w->N2);
        arb_mat_clear(w->Rk1);
        arb_mat_clear(w->Rk);
        arb_mat_clear(w->Ri);
        arb_mat_clear(w->G);
        arb_mat_clear(w->RG);
        arb_clear(w->t0);
        arb_clear(w->t1);
        arb_clear(w->t2);
        arb_clear(w->tau);
        arb_clear(w->tau0);
        arb_clear(w->tau01);
        arb_clear(w->tk);
        arb_clear(w->zero);
    }
    free(w->xs);
    free(w->ub);
    free(w->dist);
    free(w->ref);
    free(w->A);
    free(w->R);
    free(w->rowb);
    free(w->rinvn);
    free(w->so);
    free(w->ao);
    free(w->pbx);
    free(w->pbu);
    free(w->pbf);
    free(w->pjx);
    free(w->pju);
    free(w->spec_w);
    free(w->nm);
    free(w->obsD);
    free(w->obs0);
    free(w->p);
    free(w);
    flint_cleanup();
}

int tube_set_params(tube *w, const double p[], pb_error *err)
{
    plant view = {w->T, (double *)p};
    int rc;
    if ((rc = plant_validate(&view, err)))
        return rc;
    memcpy(w->p, p, w->T->np * sizeof *w->p);
    w->T->input_limits(w->p, w->ulo, w->uhi);
    w->T->state_limits(w->p, w->slo, w->shi);
    return PB_SUCCESS;
}

/* Upper Cholesky factor R (P = R^T R) of the n x n symmetric P; 0 on success. */
static int chol_upper(size_t n, const double P[], double R[])
{
    memset(R, 0, n * n * sizeof *R);
    for (size_t j = 0; j < n; j++) {
        double d = P[j * n + j];
        for (size_t k = 0; k < j; k++)
            d -= R[k * n + j] * R[k * n + j];
        if (!(d > 0.0) || !isfinite(d))
            return -1;
        R[j * n + j] = sqrt(d);
        for (size_t i = j + 1; i < n; i++) {
            double s = P[j * n + i];
            for (size_t k = 0; k < j; k++)
                s -= R[k * n + j] * R[k * n + i];
            R[j * n + i] = s / R[j * n + j];
        }
    }
    return 0;
}

/* The metric of row k from P (the time-varying Lyapunov recursion, tube.h):
 * R_k, an enclosure of R_k^{-1}, its row norms and its spectral norm.  A
 * metric only changes how the set is written, never whether it encloses:
 * when P is not numerically positive definite the Euclidean one (I) is used. */
static void metric_set(tube *w, size_t k, const double P[])
{
    size_t nx = w->nx;
    double *R = w->R + k * nx * nx;
    if (chol_upper(nx, P, R)) {
        memset(R, 0, nx * nx * sizeof *R);
        for (size_t i = 0; i < nx; i++)
            R[i * nx + i] = 1.0;
    }
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < nx; j++)
            arb_set_d(arb_mat_entry(w->Rk, i, j), R[i * nx + j]);
    if (!arb_mat_inv(w->Ri, w->Rk, PREC)) {
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++)
                R[i * nx + j] = i == j ? 1.0 : 0.0;
        arb_mat_one(w->Ri);
    }
    for (size_t i = 0; i < nx; i++) {
        arb_zero(w->t1);
        for (size_t j = 0; j < nx; j++) {
            arb_set(w->Rinv + (k * nx + i) * nx + j, arb_mat_entry(w->Ri, i, j));
            arb_addmul(w->t1, arb_mat_entry(w->Ri, i, j), arb_mat_entry(w->Ri, i, j), PREC);
        }
        arb_sqrtpos(w->t1, w->t1, PREC);
        w->rowb[k * nx + i] = arb_upper(w->t1);
    }
    w->rinvn[k] = mat_norm2_upper(w, w->Ri, nx);
}

/* The spectral norm of the doubles nearest to rows x cols block of A at (r0, c0). */
static double block_norm(tube *w, const arb_mat_t A, size_t r0, size_t c0, size_t rows, size_t cols)
{
    double v;
    pb_error e;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            w->nm[i * cols + j] =
                arf_get_d(arb_midref(arb_mat_entry(A, r0 + i, c0 + j)), ARF_RND_NEAR);
    return pb_spectral_norm(rows, cols, w->nm, w->spec_w, &v, &e) ? NAN : v;
}

/* The sampled maxima of tube_lipschitz_sample at the current record row
 * (Phi and Ja of the point). */
static void lipschitz_add(tube *w)
{
    w->Lx = fmax(w->Lx, block_norm(w, w->Phi, 0, 0, w->nx, w->nx));
    w->Lu = fmax(w->Lu, block_norm(w, w->Phi, 0, w->nx, w->nx, w->nu));
    w->Lpi = fmax(w->Lpi, block_norm(w, w->Ja, 0, 0, w->nu, w->nx));
}

void tube_lipschitz_sample(const tube *w, double *Lx, double *Lu, double *Lpi)
{
    *Lx = w->Lx;
    *Lu = w->Lu;
    *Lpi = w->Lpi;
}

int tube_prepare(tube *w, const sim_trace *orig, const double dist[], pb_error *err)
{
    size_t nx = w->nx, nu = w->nu, rows = w->rows, K, kf;
    double P[PLANT_NX_MAX * PLANT_NX_MAX] = {0}, Pn[PLANT_NX_MAX * PLANT_NX_MAX];

    if (orig->n_rows != rows || orig->nx != nx || orig->nu != nu)
        return pb_error_set(err, PB_EINVAL, "tube: a trace of another model");
    K = orig->diverged_step < 0 ? rows : (size_t)orig->diverged_step;
    w->K = K;
    w->Lx = w->Lu = w->Lpi = 0.0;
    memcpy(w->xs, orig->x, rows * nx * sizeof *w->xs);
    memcpy(w->ref, orig->ref, rows * nx * sizeof *w->ref);
    for (size_t k = 0; k < rows * nu; k++)
        w->dist[k] = dist ? dist[k] : 0.0;
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < nu; i++) {
            double u = orig->u[k * nu + i] + w->dist[k * nu + i];
            w->ub[k * nu + i] = u < w->ulo[i] ? w->ulo[i] : (u > w->uhi[i] ? w->uhi[i] : u);
        }
    if (w->obsD)
        for (size_t k = 0; k < rows; k++) {
            /* the observation map at x = 0, the row's reference and time (sim.c);
             * non-finite values end the tube there (the policy box is not finite) */
            double v[2 * PLANT_NX_MAX + 1] = {0};
            for (size_t i = 0; i < nx; i++)
                v[nx + i] = w->ref[k * nx + i];
            v[2 * nx] = (double)k * w->h;
            if (plant_expr_map_eval(w->m->obs, v, w->obs0 + k * w->nin, NULL))
                for (size_t i = 0; i < w->nin; i++)
                    w->obs0[k * w->nin + i] = NAN;
        }
    if (net_load(w, w->m->orig, err))
        return err->code;
    /* The original loop linearised at the recorded states (A_k: only the
     * metric uses it, and the sampled constants of the estimate). */
    kf = K > 0 ? K - 1 : 0; /* steps enclosed: rows 0 .. kf */
    for (size_t k = 0; k + 1 < K; k++) {
        for (size_t i = 0; i < nx; i++)
            arb_set_d(w->X0 + i, w->xs[k * nx + i]);
        for (size_t i = 0; i < nu; i++)
            arb_set_d(w->U + i, w->ub[k * nu + i]);
        if (flow(w, w->X0, w->U, w->o.substeps_set, NULL, w->Phi)) {
            kf = k;
            break;
        }
        policy_box(w, w->X0, k, w->vals, w->Ja);
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++) {
                arb_set(w->t0, arb_mat_entry(w->Phi, i, j));
                for (size_t l = 0; l < nu; l++)
                    arb_addmul(w->t0, arb_mat_entry(w->Phi, i, nx + l), arb_mat_entry(w->Ja, l, j),
                               PREC);
                w->A[(k * nx + i) * nx + j] = arf_get_d(arb_midref(w->t0), ARF_RND_NEAR);
            }
        lipschitz_add(w);
    }
    /* The metric, backwards: P_kf = I, P_k = A_k^T P_{k+1} A_k + I (rescaled
     * when it grows large: a scale changes no bound's validity). */
    for (size_t i = 0; i < nx * nx; i++)
        P[i] = i % (nx + 1) == 0 ? 1.0 : 0.0;
    if (K > 0)
        metric_set(w, kf, P);
    for (size_t k = kf; k-- > 0;) {
        const double *A = w->A + k * nx * nx;
        double tr = 0.0;
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++) {
                double s = i == j ? 1.0 : 0.0;
                for (size_t a = 0; a < nx; a++)
                    for (size_t c = 0; c < nx; c++)
                        s += A[a * nx + i] * P[a * nx + c] * A[c * nx + j];
                Pn[i * nx + j] = s;
            }
        for (size_t i = 0; i < nx; i++)
            for (size_t j = 0; j < nx; j++)
                P[i * nx + j] = 0.5 * (Pn[i * nx + j] + Pn[j * nx + i]);
        for (size_t i = 0; i < nx; i++)
            tr += P[i * nx + i];
        if (tr > 1e12)
            for (size_t i = 0; i < nx * nx; i++)
                P[i] /= tr;
        metric_set(w, k, P);
    }
    /* The original loop's own exact offset from its record. */
    w->kvalid = K > 0 ? kf + 1 : 0;
    memset(&w->so[0], 0, sizeof w->so[0]);
    if (K > 0)
        memcpy(w->so[0].c, w->xs, nx * sizeof w->xs[0]);
    for (size_t k = 0; k < kf; k++) {
        w->so[k + 1] = w->so[k];
        if (set_step(w, &w->so[k + 1], k, w->o.point_atol)) {
            w->kvalid = k + 1;
            break;
        }
        for (size_t i = 0; i < nu; i++) /* a(X_k), for the differential step */
            arb_get_pair(w->vals + i, w->ao + (k * nu + i) * 2, w->ao + (k * nu + i) * 2 + 1);
    }
    return PB_SUCCESS;
}

/* Non-zero when net computes the original's function: the same weights and
 * biases (the layout, activations and maps are the original's, as
 * tube_eval assumes for every variant, bounds_pair_check). */
static int net_is_original(const mlp *o, const mlp *net)
{
    for (size_t l = 0; l < o->n_layers; l++) {
        const mlp_layer *a = &o->layers[l], *b = &net->layers[l];
        for (size_t i = 0; i < a->n_in * a->n_out; i++)
            if (a->W[i] != b->W[i])
                return 0;
        for (size_t i = 0; i < a->n_out; i++)
            if (a->b[i] != b->b[i])
                return 0;
    }
    return 1;
}

int tube_eval(tube *w, const mlp *net, double bound[], tube_info *info, pb_error *err)
{
    size_t nx = w->nx, rows = w->rows;
    tube_set s;
    size_t k;
    int rc, cen = 1, dif = 0, twin;
    double rho = 0.0; /* the differential method's radius of E_k */
    bounds_diff *bd = NULL;
    bounds_diff_work *bw = NULL;

    if ((rc = net_load(w, net, err)))
        return rc;
    info->uninformative_step = -1;
    info->max_bound = NAN;
    info->rows_differential = 0;
    /* The original's own function (an unpruned variant): from the same
     * initial state under the same inputs the two exact loops are one
     * solution of the same ODE, so the deviation is exactly 0 at every row
     * the original reached; nothing to enclose. */
    twin = net_is_original(w->m->orig, net);
    if (w->o.differential && !twin) {
        /* a pair the certificate refuses leaves the centres' method alone */
        if ((bd = bounds_diff_alloc(w->m->orig, net, err)) &&
            !(bw = bounds_diff_work_alloc(bd, 0, err))) {
            bounds_diff_free(bd);
            return err->code;
        }
        if (!bd && err->code == PB_ENOMEM)
            return err->code;
        dif = bd != NULL;
    }
    memset(&s, 0, sizeof s);
    if (w->K > 0)
        memcpy(s.c, w->xs, nx * sizeof w->xs[0]); /* the same initial state */
    for (k = 0; k < rows; k++) {
        double b = INFINITY, bd_k;
        if (k >= w->K) {
            bound[k] = NAN;
            continue;
        }
        if (twin) {
            bound[k] = 0.0;
            info->max_bound = 0.0;
            continue;
        }
        if (k >= w->kvalid)
            cen = dif = 0; /* the original's own enclosure ended */
        /* the differential step from row k - 1 (it needs net loaded) */
        if (dif && k > 0 && diff_step(w, k - 1, bd, bw, &rho))
            dif = 0;
        if (cen && k > 0 &&
            set_step(w, &s, k - 1,
                     w->o.point_atol +
                         w->o.point_rtol * pb_norm2_diff(nx, s.c, w->so[k - 1].c, NULL)))
            cen = 0;
        if (!cen && !dif) {
            /* every enclosure ended at row k: the tube is infinite from here */
            if (info->uninformative_step < 0)
                info->uninformative_step = (long)k;
            for (; k < w->K; k++)
                bound[k] = INFINITY;
            for (; k < rows; k++)
                bound[k] = NAN;
            break;
        }
        if (cen) {
            /* ||x^*_k - x*_k|| <= ||c^ - c|| + (r^ + r) ||R_k^{-1}||_2 */
            arb_set_d(w->t0, s.r);
            plant_arb_add_d(w->t0, w->t0, w->so[k].r, PREC);
            plant_arb_mul_d(w->t0, w->t0, w->rinvn[k], PREC);
            plant_arb_add_d(w->t0, w->t0, pb_norm2_diff_upper(nx, s.c, w->so[k].c), PREC);
            b = arb_upper(w->t0);
            if (dif && w->o.differential == 1)
                rho = fmin(rho, centres_radius(w, k, &s));
        }
        if (w->o.differential == 2)
            b = INFINITY; /* the differential step alone */
        if (dif) {
            /* ||e_k|| <= rho ||R_k^{-1}||_2 */
            arb_set_d(w->t0, rho);
            plant_arb_mul_d(w->t0, w->t0, w->rinvn[k], PREC);
            bd_k = arb_upper(w->t0);
            if (bd_k < b) {
                b = bd_k;
                info->rows_differential++;
            }
        }
        bound[k] = b;
        if (isfinite(b))
            info->max_bound = isnan(info->max_bound) ? b : fmax(info->max_bound, b);
        if (info->uninformative_step < 0) {
            int out = !isfinite(b);
            for (size_t i = 0; i < nx && !out; i++)
                out = w->xs[k * nx + i] - b < w->slo[i] || w->xs[k * nx + i] + b > w->shi[i];
            if (out)
                info->uninformative_step = (long)k;
        }
    }
    bounds_diff_work_free(bw);
    bounds_diff_free(bd);
    return PB_SUCCESS;
}

#endif
