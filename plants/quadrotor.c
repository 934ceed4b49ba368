/* quadrotor.c: the rigid-body quadrotor of Beard (2008), "Quadrotor dynamics
 * and control", eqs. 16-19 (quadrotor_beard.h), with four inputs: thrust
 * deviation u1 (F = g + u1/m, so u1 >= -m g keeps the thrust non-negative)
 * and the roll, pitch and yaw torques.  Parameters default to the ARCH-COMP
 * QUAD values (m = 1.4, Jx = Jy = 0.054, Jz = 0.104, g = 9.81); unlike
 * quadrotor_arch, the inputs saturate by default. */
#include <math.h>

#include "quadrotor_beard.h"

static const plant_var inputs[] = {
    {"u1", "N"}, {"tau_phi", "N m"}, {"tau_theta", "N m"}, {"tau_psi", "N m"}};
static const plant_param params[] = {
    {"m", "kg", "mass", 1.4, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"Jx", "kg m^2", "roll moment of inertia", 0.054, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"Jy", "kg m^2", "pitch moment of inertia", 0.054, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"Jz", "kg m^2", "yaw moment of inertia", 0.104, 0.0, 1e6, PLANT_PARAM_LO_OPEN},
    {"g", "m/s^2", "gravity", 9.81, 0.0, 1e3, 0},
    {"u1_max", "N", "upper limit of u1 (the lower is -m g: no negative thrust)", 15.0, 0.0, 1e9,
     PLANT_PARAM_LO_OPEN | PLANT_PARAM_ALLOW_INF},
    {"tau_max", "N m", "limit of |tau_phi|, |tau_theta|, |tau_psi|", 1.0, 0.0, 1e9,
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
static const double lqr_q[QB_NX] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0.1, 0.1, 0.1};
static const double lqr_r[] = {1.0, 10.0, 10.0, 10.0};

static int f(double t, const double x[], const double u[], const double p[], double dxdt[])
{
    (void)t;
    return quad_beard_f(x, u[0], u + 1, p, dxdt);
}

/* The type's f_batch (plant.h): the four inputs are rows 0..3 of U. */
static void f_batch(double t, size_t n, size_t ld, const double X[], const double U[],
                    const double P[], double dX[], double w[])
{
    (void)t;
    quad_beard_f_batch(n, ld, X, U, U + ld, U + 2 * ld, U + 3 * ld, P, dX, w);
}

static int jac(double t, const double x[], const double u[], const double p[], double dfdx[],
               double dfdu[])
{
    (void)t;
    (void)u;
    if (dfdx)
        quad_beard_dfdx(x, p, dfdx);
    if (dfdu) {
        for (int i = 0; i < QB_NX * 4; i++)
            dfdu[i] = 0.0;
        dfdu[5 * 4 + 0] = -1.0 / p[QB_M];
        dfdu[9 * 4 + 1] = 1.0 / p[QB_JX];
        dfdu[10 * 4 + 2] = 1.0 / p[QB_JY];
        dfdu[11 * 4 + 3] = 1.0 / p[QB_JZ];
    }
    return PB_SUCCESS;
}

#ifdef PB_WITH_TUBE
/* The type's jac_box (plant.h): quad_beard_box (quadrotor_beard.h) with
 * u1 and the three torques as the four inputs;
 * dfdu as jac writes it (quad_beard_box_dfdu). */
static int box_eval(const double x[], const double u[], const double p[], double fb[],
                    double dfdx[], double dfdu[])
{
    int rc = quad_beard_box(x, u, u + 2, p, fb, dfdx);
    if (dfdu && quad_beard_box_dfdu(p, 4, dfdu) != PB_SUCCESS)
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
    u[0] = u[1] = u[2] = u[3] = 0.0;
}

static void input_limits(const double p[], double lo[], double hi[])
{
    lo[0] = -p[QB_M] * p[QB_G];
    hi[0] = p[QB_U1MAX];
    for (int i = 1; i < 4; i++) {
        lo[i] = -p[QB_TAUMAX];
        hi[i] = p[QB_TAUMAX];
    }
}

static int validate(const double p[], pb_error *err)
{
    return quad_beard_validate("quadrotor", p, err);
}

const plant_type plant_quadrotor = {
    .name = "quadrotor",
    .equation = "quadrotor in the body-frame form of Beard (2008), Quadrotor dynamics and "
                "control, eqs. 16-19, altitude up, F = g + u1/m, four inputs (thrust deviation, "
                "roll, pitch, yaw torques); the ARCH-COMP suite's MATLAB dynamics file differs "
                "from this form in several terms",
    .nx = QB_NX,
    .nu = 4,
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
