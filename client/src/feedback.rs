//! [`AuthEventFeedback`]: the user's answer to an adaptive-authentication notice
//! (`UpdateAuthEventFeedback`).

use serde::Serialize;

use super::UserPoolClient;
use super::error::{ClientError, ClientErrorKind};
use super::secret::Secret;
use super::wire;

const OP: &str = "UpdateAuthEventFeedback";
/// The service model's longest `EventId`.
const MAX_EVENT_ID_LEN: usize = 50;

/// What the user says of a sign-in that threat protection flagged (`FeedbackValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthEventFeedback {
    /// `Valid`: it was the user; trust the session.
    Valid,
    /// `Invalid`: it was not the user.
    Invalid,
}

impl AuthEventFeedback {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "Valid",
            Self::Invalid => "Invalid",
        }
    }
}

impl UserPoolClient {
    /// Sends the user's feedback on a flagged sign-in (`UpdateAuthEventFeedback`, threat
    /// protection): the event id and feedback token come from the link of Cognito's
    /// notification email. No access token is needed; the feedback token proves the link.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] for an event id that is empty, longer than 50
    /// characters or not of `[A-Za-z0-9_+-]` (nothing is sent); otherwise a [`ClientError`]:
    /// a wrong token is [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized), a pool
    /// without threat protection `UserPoolAddOnNotEnabledException`.
    pub async fn update_auth_event_feedback(
        &self,
        username: &str,
        event_id: &str,
        feedback_token: &Secret,
        feedback: AuthEventFeedback,
    ) -> Result<(), ClientError> {
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-');
        if event_id.is_empty() || event_id.len() > MAX_EVENT_ID_LEN || !event_id.chars().all(valid)
        {
            return Err(ClientError::new(
                OP,
                ClientErrorKind::InvalidInput("the event id is not a Cognito event id"),
            ));
        }
        let body = FeedbackRequest {
            user_pool_id: self.inner.user_pool_id.as_str(),
            username,
            event_id,
            feedback_token: feedback_token.expose(),
            feedback_value: feedback.as_str(),
        };
        self.inner.call::<_, wire::Empty>(OP, &body).await.map(drop)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FeedbackRequest<'a> {
    user_pool_id: &'a str,
    username: &'a str,
    event_id: &'a str,
    feedback_token: &'a str,
    feedback_value: &'static str,
}
