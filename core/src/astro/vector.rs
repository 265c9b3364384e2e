//! Small 3-vector and 3x3-matrix helpers.

pub type Vec3 = [f64; 3];
pub type Mat3 = [[f64; 3]; 3];

pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: Vec3, k: f64) -> Vec3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

pub fn mul(m: &Mat3, v: Vec3) -> Vec3 {
    [dot(m[0], v), dot(m[1], v), dot(m[2], v)]
}

pub fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// Rectangular position and velocity from spherical coordinates and their rates.
pub fn from_spherical(lon: f64, lat: f64, r: f64, dlon: f64, dlat: f64, dr: f64) -> (Vec3, Vec3) {
    let (sl, cl) = lon.sin_cos();
    let (sb, cb) = lat.sin_cos();
    let pos = [r * cb * cl, r * cb * sl, r * sb];
    let vel = [
        dr * cb * cl - r * sb * cl * dlat - r * cb * sl * dlon,
        dr * cb * sl - r * sb * sl * dlat + r * cb * cl * dlon,
        dr * sb + r * cb * dlat,
    ];
    (pos, vel)
}

/// Longitude, latitude (radians) and their rates from a position and velocity.
pub fn to_spherical(pos: Vec3, vel: Vec3) -> (f64, f64, f64, f64) {
    let [x, y, z] = pos;
    let rho2 = x * x + y * y;
    let rho = rho2.sqrt();
    let r2 = rho2 + z * z;
    let lon = y.atan2(x).rem_euclid(std::f64::consts::TAU);
    let lat = z.atan2(rho);
    let dlon = if rho2 > 0.0 {
        (x * vel[1] - y * vel[0]) / rho2
    } else {
        0.0
    };
    let dlat = if rho > 0.0 {
        (vel[2] * rho2 - z * (x * vel[0] + y * vel[1])) / (rho * r2)
    } else {
        0.0
    };
    (lon, lat, dlon, dlat)
}
