//! The policy decision point (NIST SP 800-207). Every access step that meets a policy
//! enforcement point (an identity signing in at the identity provider, replaying a session
//! token, opening a VPN) is decided from signals: the credential the attacker presents, the
//! identity's second factor, whether the request comes from a compliant device, and the
//! policy in force for that identity. Steps that meet no enforcement point (NTLM/Kerberos
//! movement inside an implicit trust zone such as a flat LAN) are never evaluated.
//!
//! A decision becomes a success probability for the step: `Allow` leaves it, `Deny` makes
//! it 0, `StepUp` multiplies it by the chance the attacker passes the challenge.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::controls::Credential;
use crate::model::MfaStrength;
use serde::Serialize;

/// What policy the enforcement point applies to one identity's requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Policy {
    /// Second factor required; the efficacy is the share of password-only attackers stopped.
    pub mfa: Option<f64>,
    /// Only a phishing-resistant factor satisfies the challenge (FIDO2, certificates).
    pub phishing_resistant: Option<f64>,
    /// Requests must come from a compliant device; efficacy against other devices.
    pub compliant_device: Option<f64>,
    /// Tokens are bound to the device they were issued to; efficacy against replay.
    pub token_binding: Option<f64>,
    /// Risk-based step-up on anomalous sign-ins; efficacy of the extra challenge.
    pub risk_step_up: Option<f64>,
}

/// What the enforcement point sees of one request.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Signals {
    /// The credential material the request presents.
    pub credential: Credential,
    /// The identity's own enrolled factor.
    pub enrolled: MfaStrength,
    /// The request comes from a managed, compliant device the attacker controls.
    pub from_compliant_device: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub(crate) enum Decision {
    Allow,
    Deny,
    /// A challenge the attacker passes with this probability.
    StepUp {
        pass: f64,
    },
}

impl Decision {
    pub(crate) fn pass_probability(self) -> f64 {
        match self {
            Decision::Allow => 1.0,
            Decision::Deny => 0.0,
            Decision::StepUp { pass } => pass,
        }
    }
}

/// Efficacy of an enrolled factor against a password-holding attacker [source: Google/NYU/
/// UCSD 2019: SMS 0.76, app prompts 0.90; security keys ~1.0, taken as 0.99; OTP 0.80 is an
/// assumption between the two].
pub fn factor_efficacy(m: MfaStrength) -> f64 {
    match m {
        MfaStrength::None => 0.0,
        MfaStrength::Sms => 0.76,
        MfaStrength::Otp => 0.80,
        MfaStrength::Push => 0.90,
        MfaStrength::PhishingResistant => 0.99,
    }
}

pub(crate) fn decide(policy: &Policy, s: &Signals) -> Decision {
    let mut pass = 1.0;
    match s.credential {
        Credential::Password => {
            // The strongest of the enrolled factor and what the policy demands.
            let enrolled = factor_efficacy(s.enrolled);
            let demanded = policy
                .mfa
                .unwrap_or(0.0)
                .max(policy.phishing_resistant.unwrap_or(0.0));
            let e = if policy.phishing_resistant.is_some() {
                // Only a phishing-resistant factor counts; a weaker enrolled one is not
                // accepted, so the attacker faces the demanded factor.
                demanded.max(if s.enrolled == MfaStrength::PhishingResistant {
                    enrolled
                } else {
                    0.0
                })
            } else {
                enrolled.max(demanded)
            };
            pass *= 1.0 - e;
            if let Some(r) = policy.risk_step_up
                && e == 0.0
            {
                pass *= 1.0 - r;
            }
        }
        Credential::Token => {
            // A session token already carries its MFA claim: no challenge, unless bound.
            if let Some(b) = policy.token_binding {
                pass *= 1.0 - b;
            }
        }
        // Hashes, tickets and SSH keys are not accepted by a cloud enforcement point at all.
        Credential::Hash | Credential::Key => return Decision::Deny,
    }
    // Device compliance is checked when a session is established; a replayed session
    // token carries the device claim it was issued with.
    if let Some(c) = policy.compliant_device
        && s.credential == Credential::Password
        && !s.from_compliant_device
    {
        pass *= 1.0 - c;
    }
    if pass >= 1.0 {
        Decision::Allow
    } else if pass <= 0.0 {
        Decision::Deny
    } else {
        Decision::StepUp { pass }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(credential: Credential, enrolled: MfaStrength) -> Signals {
        Signals {
            credential,
            enrolled,
            from_compliant_device: false,
        }
    }

    #[test]
    fn stolen_password_passes_password_only_and_fails_phishing_resistant() {
        let password_only = Policy::default();
        let d = decide(
            &password_only,
            &sig(Credential::Password, MfaStrength::None),
        );
        assert_eq!(d, Decision::Allow);
        let fido = Policy {
            phishing_resistant: Some(0.99),
            ..Policy::default()
        };
        let d = decide(&fido, &sig(Credential::Password, MfaStrength::Push));
        assert!((d.pass_probability() - 0.01).abs() < 1e-12, "{d:?}");
    }

    #[test]
    fn stolen_token_passes_mfa_but_fails_token_binding() {
        let mfa = Policy {
            mfa: Some(0.9),
            ..Policy::default()
        };
        assert_eq!(
            decide(&mfa, &sig(Credential::Token, MfaStrength::Push)),
            Decision::Allow
        );
        let bound = Policy {
            mfa: Some(0.9),
            token_binding: Some(1.0),
            ..Policy::default()
        };
        assert_eq!(
            decide(&bound, &sig(Credential::Token, MfaStrength::Push)),
            Decision::Deny
        );
    }

    #[test]
    fn compliant_device_requirement_is_met_from_a_hijacked_compliant_device() {
        let p = Policy {
            compliant_device: Some(1.0),
            ..Policy::default()
        };
        let mut s = sig(Credential::Password, MfaStrength::None);
        assert_eq!(decide(&p, &s), Decision::Deny);
        s.from_compliant_device = true;
        assert_eq!(decide(&p, &s), Decision::Allow);
    }

    #[test]
    fn enrolled_push_is_a_step_up() {
        let d = decide(
            &Policy::default(),
            &sig(Credential::Password, MfaStrength::Push),
        );
        assert!(matches!(d, Decision::StepUp { pass } if (pass - 0.1).abs() < 1e-12));
    }
}
