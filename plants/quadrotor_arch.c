/* quadrotor_arch.c: the ARCH-COMP AINNCS QUAD benchmark
 * (../shared/benchmarks/arch-comp/README.md, quadrotor/) in Beard's (2008)
 * body-frame form (quadrotor_beard.h): inputs u1 (thrust deviation, F = g +
 * u1/m), u2, u3 (roll and pitch torques); the yaw torque is 0.  Defaults
 * m = 1.4, Jx = Jy = 0.054, Jz = 0.104, g = 9.81; no saturation by default.
 * Yaw and yaw rate are uncontrollable at hover (no yaw torque), so the LQR
 * expert does not weigh them. */
#include <math.h>

#include "quadrotor_beard.h"

static const plant_var inputs[] = {{"u1", "N"}, {"tau_phi", "N m"}, {"tau_theta", "N m"}};
static const plant_param params[] = {
    {"m", "kg", "mass", 1.4, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"Jx", "kg m^2", "roll moment of inertia", 0.054, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"Jy", "kg m^2", "pitch moment of inertia", 0.054, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"Jz", "kg m^2", "yaw moment of inertia", 0.104, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"g", "m/s^2", "gravity", 9.81, 0.0, 1e3, 0},
    {"u1_max", "N", "limit of |u1| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"tau_max", "N m", "limit of |tau_phi|, |tau_theta| (inf: none)", INFINITY, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"pos_max", "m", "|pn|, |pe|, |h| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"vel_max", "m/s", "|u|, |v|, |w| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"att_max", "rad", "|phi|, |theta| beyond this count as diverged (< pi/2)", 1.5, 0.0, 1.57,
     PLANT_PARAM_LO_OPEN},
    {"rate_max", "rad/s", "|p|, |q|, |r| beyond this count as diverged", 1000.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
};
static const double lqr_q[QB_NX] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0.1, 0.1, 0};
static const double lqr_r[] = {1.0, 10.0, 10.0};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    double tau[3] = {u[1], u[2], 0.0};
    (void)t;
    return quad_beard_f(x, u[0], tau, p, dxdt);
}

/* The type's f_batch (plant.h): a yaw torque of 0.0 in every lane (row 6
 * of w), divided by Jz as f does, so that both round alike. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    double *tau_psi = w + 6 * ld;
    (void)t;
    for (size_t s = 0; s < n; s++)
        tau_psi[s] = 0.0;
    quad_beard_f_batch(n, ld, X, U, U + ld, U + 2 * ld, tau_psi, P, dX, w);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    (void)t;
    (void)u;
    if (dfdx)
        quad_beard_dfdx(x, p, dfdx);
    if (dfdu) {
        for (int i = 0; i < QB_NX * 3; i++)
            dfdu[i] = 0.0;
        dfdu[5 * 3 + 0] = -1.0 / p[QB_M];
        dfdu[9 * 3 + 1] = 1.0 / p[QB_JX];
        dfdu[10 * 3 + 2] = 1.0 / p[QB_JY];
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): quad_beard_box (quadrotor_beard.h) with
 * u1, the roll and pitch torques, and a yaw torque of 0 as f has;
 * dfdu as jac writes it (quad_beard_box_dfdu). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    double tau[6] = {u[2], u[3], u[4], u[5], 0.0, 0.0}; /* yaw torque 0, as f */
    int rc = quad_beard_box(x, u, tau, p, fb, dfdx);
    if (dfdu && quad_beard_box_dfdu(p, 3, dfdu) != PB_SUCCESS)
        rc = PB_EDIVERGED;
    return rc;
}
#define JAC_BOX box_eval
#else
#define JAC_BOX NULL
#endif

static void equilibrium(const double p[], double x[], double u[])
{
    (void)p;
    for (int i = 0; i < QB_NX; i++)
        x[i] = 0.0;
    u[0] = u[1] = u[2] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[QB_U1MAX];
    hi[0] = p[QB_U1MAX];
    lo[1] = lo[2] = -p[QB_TAUMAX];
    hi[1] = hi[2] = p[QB_TAUMAX];
}

static int validate(const double p[], pb_error *err)
{
    return quad_beard_validate("quadrotor_arch", p, err);
}

const plant_type plant_quadrotor_arch = {
    .name = "quadrotor_arch",
    .equation = "ARCH-COMP QUAD in the body-frame form of Beard (2008), Quadrotor dynamics and "
                "control, eqs. 16-19, altitude up, F = g + u1/m, yaw torque 0; the suite's "
                "MATLAB dynamics file differs from this form in several terms",
    .nx = QB_NX,
    .nu = 3,
    .np = sizeof params / sizeof params[0],
    .states = quad_beard_states,
    .inputs = inputs,
    .params = params,
    .f = f,
    .f_batch = f_batch,
    .jac = jac,
    .equilibrium = equilibrium,
    .input_limits = input_limits,
    .state_limits = quad_beard_state_limits,
    .validate = validate,
    .lqr_q = lqr_q,
    .lqr_r = lqr_r,
    .period = 0.1,
    .jac_box = JAC_BOX,
};
