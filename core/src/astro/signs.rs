//! Signs of the tropical zodiac by longitude, with their element and modality.

use crate::zodiac::Sign;

/// A longitude as a sign and the degree within it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignPosition {
    pub sign: Sign,
    /// Degrees in [0, 30).
    pub degree: f64,
}

impl SignPosition {
    pub fn of(longitude: f64) -> SignPosition {
        let lon = longitude.rem_euclid(360.0);
        let index = ((lon / 30.0).floor() as usize).min(11);
        SignPosition {
            sign: Sign::ALL[index],
            degree: lon - 30.0 * index as f64,
        }
    }
}

/// The four elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    Fire,
    Earth,
    Air,
    Water,
}

/// The three modalities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    Cardinal,
    Fixed,
    Mutable,
}

/// Element and modality of each sign, in zodiac order from Aries.
const QUALITIES: [(Element, Modality); 12] = [
    (Element::Fire, Modality::Cardinal),
    (Element::Earth, Modality::Fixed),
    (Element::Air, Modality::Mutable),
    (Element::Water, Modality::Cardinal),
    (Element::Fire, Modality::Fixed),
    (Element::Earth, Modality::Mutable),
    (Element::Air, Modality::Cardinal),
    (Element::Water, Modality::Fixed),
    (Element::Fire, Modality::Mutable),
    (Element::Earth, Modality::Cardinal),
    (Element::Air, Modality::Fixed),
    (Element::Water, Modality::Mutable),
];

pub fn element(sign: Sign) -> Element {
    QUALITIES[sign as usize].0
}

pub fn modality(sign: Sign) -> Modality {
    QUALITIES[sign as usize].1
}

impl Element {
    pub const ALL: [Element; 4] = [Element::Fire, Element::Earth, Element::Air, Element::Water];
    pub fn name(self) -> &'static str {
        match self {
            Element::Fire => "Fire",
            Element::Earth => "Earth",
            Element::Air => "Air",
            Element::Water => "Water",
        }
    }
}

impl Modality {
    pub const ALL: [Modality; 3] = [Modality::Cardinal, Modality::Fixed, Modality::Mutable];
    pub fn name(self) -> &'static str {
        match self {
            Modality::Cardinal => "Cardinal",
            Modality::Fixed => "Fixed",
            Modality::Mutable => "Mutable",
        }
    }
}
