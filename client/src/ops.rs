//! The account operations: sign-up and confirmation, the signed-in user's attributes and
//! password, forgotten passwords, TOTP setup, sign-out, revocation and deletion.

use super::UserPoolClient;
use super::error::{ClientError, ProtocolError};
use super::factor::MfaType;
use super::secret::Secret;
use super::types::{
    Attribute, CodeDelivery, SignUpInput, SignUpOutput, SoftwareTokenAssociation,
    SoftwareTokenAuth, SoftwareTokenVerification, User,
};
use super::wire;

impl UserPoolClient {
    /// Registers a user (`SignUp`).
    ///
    /// # Errors
    /// A [`ClientError`]; typically
    /// [`UsernameExists`](super::CognitoErrorKind::UsernameExists),
    /// [`InvalidPassword`](super::CognitoErrorKind::InvalidPassword) or
    /// [`InvalidParameter`](super::CognitoErrorKind::InvalidParameter).
    pub async fn sign_up(&self, input: &SignUpInput) -> Result<SignUpOutput, ClientError> {
        const OP: &str = "SignUp";
        let secret_hash = self.inner.secret_hash(&input.username);
        let body = wire::SignUpRequest {
            client_id: &self.inner.client_id,
            username: &input.username,
            password: input.password.expose(),
            secret_hash: secret_hash.as_ref().map(Secret::expose),
            user_attributes: attribute_refs(&input.attributes),
            client_metadata: Some(&input.client_metadata),
        };
        let answer: wire::SignUpResponse = self.inner.call(OP, &body).await?;
        let missing = |field| ClientError::protocol(OP, ProtocolError::MissingField(field));
        Ok(SignUpOutput {
            user_confirmed: answer
                .user_confirmed
                .ok_or_else(|| missing("UserConfirmed"))?,
            user_sub: answer.user_sub.ok_or_else(|| missing("UserSub"))?,
            code_delivery: answer.code_delivery_details.map(CodeDelivery::from_wire),
            session: answer.session.map(Secret::new),
        })
    }

    /// Confirms a sign-up with the code Cognito sent (`ConfirmSignUp`).
    ///
    /// # Errors
    /// A [`ClientError`]; typically
    /// [`CodeMismatch`](super::CognitoErrorKind::CodeMismatch) or
    /// [`ExpiredCode`](super::CognitoErrorKind::ExpiredCode).
    pub async fn confirm_sign_up(&self, username: &str, code: &Secret) -> Result<(), ClientError> {
        let secret_hash = self.inner.secret_hash(username);
        let body = wire::ConfirmRequest {
            client_id: &self.inner.client_id,
            username,
            confirmation_code: code.expose(),
            password: None,
            secret_hash: secret_hash.as_ref().map(Secret::expose),
        };
        self.inner
            .call::<_, wire::Empty>("ConfirmSignUp", &body)
            .await
            .map(drop)
    }

    /// Sends the sign-up confirmation code again (`ResendConfirmationCode`).
    ///
    /// # Errors
    /// A [`ClientError`]; an answer without `CodeDeliveryDetails` is a
    /// [`ProtocolError::MissingField`].
    pub async fn resend_confirmation_code(
        &self,
        username: &str,
    ) -> Result<CodeDelivery, ClientError> {
        self.username_call("ResendConfirmationCode", username).await
    }

    /// Starts a password reset: Cognito sends a code (`ForgotPassword`).
    ///
    /// # Errors
    /// A [`ClientError`]; an answer without `CodeDeliveryDetails` is a
    /// [`ProtocolError::MissingField`].
    pub async fn forgot_password(&self, username: &str) -> Result<CodeDelivery, ClientError> {
        self.username_call("ForgotPassword", username).await
    }

    /// Sets a new password with the code of [`forgot_password`](Self::forgot_password)
    /// (`ConfirmForgotPassword`).
    ///
    /// # Errors
    /// A [`ClientError`]; typically
    /// [`CodeMismatch`](super::CognitoErrorKind::CodeMismatch) or
    /// [`InvalidPassword`](super::CognitoErrorKind::InvalidPassword).
    pub async fn confirm_forgot_password(
        &self,
        username: &str,
        code: &Secret,
        new_password: &Secret,
    ) -> Result<(), ClientError> {
        let secret_hash = self.inner.secret_hash(username);
        let body = wire::ConfirmRequest {
            client_id: &self.inner.client_id,
            username,
            confirmation_code: code.expose(),
            password: Some(new_password.expose()),
            secret_hash: secret_hash.as_ref().map(Secret::expose),
        };
        self.inner
            .call::<_, wire::Empty>("ConfirmForgotPassword", &body)
            .await
            .map(drop)
    }

    /// The signed-in user: user name and attributes (`GetUser`).
    ///
    /// # Errors
    /// A [`ClientError`]; a revoked or expired access token is
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized).
    pub async fn get_user(&self, access_token: &Secret) -> Result<User, ClientError> {
        const OP: &str = "GetUser";
        let body = wire::AccessTokenRequest {
            access_token: access_token.expose(),
        };
        let answer: wire::GetUserResponse = self.inner.call(OP, &body).await?;
        Ok(User {
            username: answer.username.ok_or_else(|| {
                ClientError::protocol(OP, ProtocolError::MissingField("Username"))
            })?,
            attributes: answer
                .user_attributes
                .into_iter()
                .map(Attribute::from_wire)
                .collect(),
            preferred_mfa: answer.preferred_mfa_setting.as_deref().map(MfaType::parse),
            mfa_settings: answer
                .user_mfa_setting_list
                .iter()
                .map(|m| MfaType::parse(m))
                .collect(),
        })
    }

    /// Sets attributes of the signed-in user (`UpdateUserAttributes`). Returns where
    /// verification codes were sent (for a changed `email` or `phone_number`).
    ///
    /// # Errors
    /// A [`ClientError`].
    pub async fn update_user_attributes(
        &self,
        access_token: &Secret,
        attributes: &[Attribute],
    ) -> Result<Vec<CodeDelivery>, ClientError> {
        let body = wire::UpdateUserAttributesRequest {
            access_token: access_token.expose(),
            user_attributes: attribute_refs(attributes),
        };
        let answer: wire::CodeDeliveryListResponse =
            self.inner.call("UpdateUserAttributes", &body).await?;
        Ok(answer
            .code_delivery_details_list
            .into_iter()
            .map(CodeDelivery::from_wire)
            .collect())
    }

    /// Deletes attributes of the signed-in user (`DeleteUserAttributes`).
    ///
    /// # Errors
    /// A [`ClientError`].
    pub async fn delete_user_attributes(
        &self,
        access_token: &Secret,
        names: &[&str],
    ) -> Result<(), ClientError> {
        let body = wire::DeleteUserAttributesRequest {
            access_token: access_token.expose(),
            user_attribute_names: names,
        };
        self.inner
            .call::<_, wire::Empty>("DeleteUserAttributes", &body)
            .await
            .map(drop)
    }

    /// Sends a code to verify the attribute `name` (`email`, `phone_number`)
    /// (`GetUserAttributeVerificationCode`).
    ///
    /// # Errors
    /// A [`ClientError`]; an answer without `CodeDeliveryDetails` is a
    /// [`ProtocolError::MissingField`].
    pub async fn get_user_attribute_verification_code(
        &self,
        access_token: &Secret,
        name: &str,
    ) -> Result<CodeDelivery, ClientError> {
        const OP: &str = "GetUserAttributeVerificationCode";
        let body = wire::AttributeVerificationRequest {
            access_token: access_token.expose(),
            attribute_name: name,
            code: None,
        };
        let answer: wire::CodeDeliveryResponse = self.inner.call(OP, &body).await?;
        CodeDelivery::required(OP, answer.code_delivery_details)
    }

    /// Verifies the attribute `name` with the code Cognito sent (`VerifyUserAttribute`).
    ///
    /// # Errors
    /// A [`ClientError`]; typically
    /// [`CodeMismatch`](super::CognitoErrorKind::CodeMismatch).
    pub async fn verify_user_attribute(
        &self,
        access_token: &Secret,
        name: &str,
        code: &Secret,
    ) -> Result<(), ClientError> {
        let body = wire::AttributeVerificationRequest {
            access_token: access_token.expose(),
            attribute_name: name,
            code: Some(code.expose()),
        };
        self.inner
            .call::<_, wire::Empty>("VerifyUserAttribute", &body)
            .await
            .map(drop)
    }

    /// Changes the signed-in user's password (`ChangePassword`).
    ///
    /// # Errors
    /// A [`ClientError`]; a wrong current password is
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized).
    pub async fn change_password(
        &self,
        access_token: &Secret,
        previous_password: &Secret,
        proposed_password: &Secret,
    ) -> Result<(), ClientError> {
        let body = wire::ChangePasswordRequest {
            access_token: access_token.expose(),
            previous_password: previous_password.expose(),
            proposed_password: proposed_password.expose(),
        };
        self.inner
            .call::<_, wire::Empty>("ChangePassword", &body)
            .await
            .map(drop)
    }

    /// Starts a TOTP setup (`AssociateSoftwareToken`): the secret for the authenticator app.
    ///
    /// # Errors
    /// A [`ClientError`]; an answer without `SecretCode` is a [`ProtocolError::MissingField`].
    pub async fn associate_software_token(
        &self,
        auth: SoftwareTokenAuth<'_>,
    ) -> Result<SoftwareTokenAssociation, ClientError> {
        const OP: &str = "AssociateSoftwareToken";
        let body = software_token_request(auth, None, None);
        let answer: wire::AssociateSoftwareTokenResponse = self.inner.call(OP, &body).await?;
        Ok(SoftwareTokenAssociation {
            secret_code: answer.secret_code.map(Secret::new).ok_or_else(|| {
                ClientError::protocol(OP, ProtocolError::MissingField("SecretCode"))
            })?,
            session: answer.session.map(Secret::new),
        })
    }

    /// Finishes a TOTP setup with a code of the authenticator app (`VerifySoftwareToken`). With
    /// the access token, the token is then verified, not yet used for sign-in: turn TOTP MFA on
    /// with [`set_user_mfa_preference`](Self::set_user_mfa_preference) (a pool that requires
    /// MFA, and the `MFA_SETUP` challenge, use it at once).
    ///
    /// # Errors
    /// A [`ClientError`]; a wrong code is
    /// [`CodeMismatch`](super::CognitoErrorKind::CodeMismatch) or
    /// [`EnableSoftwareTokenMfa`](super::CognitoErrorKind::EnableSoftwareTokenMfa).
    pub async fn verify_software_token(
        &self,
        auth: SoftwareTokenAuth<'_>,
        code: &Secret,
        friendly_device_name: Option<&str>,
    ) -> Result<SoftwareTokenVerification, ClientError> {
        const OP: &str = "VerifySoftwareToken";
        let body = software_token_request(auth, Some(code.expose()), friendly_device_name);
        let answer: wire::VerifySoftwareTokenResponse = self.inner.call(OP, &body).await?;
        Ok(SoftwareTokenVerification {
            status: answer
                .status
                .ok_or_else(|| ClientError::protocol(OP, ProtocolError::MissingField("Status")))?,
            session: answer.session.map(Secret::new),
        })
    }

    /// Signs the user out of every device: their refresh tokens stop working
    /// (`GlobalSignOut`). Access and ID tokens stay valid for local verification until they
    /// expire.
    ///
    /// # Errors
    /// A [`ClientError`].
    pub async fn global_sign_out(&self, access_token: &Secret) -> Result<(), ClientError> {
        self.access_token_call("GlobalSignOut", access_token).await
    }

    /// Revokes a refresh token and the tokens issued with it (`RevokeToken`). The client
    /// secret, if any, is sent as it is (`ClientSecret`).
    ///
    /// # Errors
    /// A [`ClientError`].
    pub async fn revoke_token(&self, refresh_token: &Secret) -> Result<(), ClientError> {
        let body = wire::RevokeTokenRequest {
            token: refresh_token.expose(),
            client_id: &self.inner.client_id,
            client_secret: self.inner.client_secret.as_ref().map(Secret::expose),
        };
        self.inner
            .call::<_, wire::Empty>("RevokeToken", &body)
            .await
            .map(drop)
    }

    /// Deletes the signed-in user (`DeleteUser`).
    ///
    /// # Errors
    /// A [`ClientError`].
    pub async fn delete_user(&self, access_token: &Secret) -> Result<(), ClientError> {
        self.access_token_call("DeleteUser", access_token).await
    }

    async fn access_token_call(
        &self,
        operation: &'static str,
        access_token: &Secret,
    ) -> Result<(), ClientError> {
        let body = wire::AccessTokenRequest {
            access_token: access_token.expose(),
        };
        self.inner
            .call::<_, wire::Empty>(operation, &body)
            .await
            .map(drop)
    }

    async fn username_call(
        &self,
        operation: &'static str,
        username: &str,
    ) -> Result<CodeDelivery, ClientError> {
        let secret_hash = self.inner.secret_hash(username);
        let body = wire::UsernameRequest {
            client_id: &self.inner.client_id,
            username,
            secret_hash: secret_hash.as_ref().map(Secret::expose),
        };
        let answer: wire::CodeDeliveryResponse = self.inner.call(operation, &body).await?;
        CodeDelivery::required(operation, answer.code_delivery_details)
    }
}

fn attribute_refs(attributes: &[Attribute]) -> Vec<wire::AttributeRef<'_>> {
    attributes
        .iter()
        .map(|a| wire::AttributeRef {
            name: &a.name,
            value: &a.value,
        })
        .collect()
}

fn software_token_request<'a>(
    auth: SoftwareTokenAuth<'a>,
    user_code: Option<&'a str>,
    friendly_device_name: Option<&'a str>,
) -> wire::SoftwareTokenRequest<'a> {
    let (access_token, session) = match auth {
        SoftwareTokenAuth::AccessToken(token) => (Some(token.expose()), None),
        SoftwareTokenAuth::Session(session) => (None, Some(session.expose())),
    };
    wire::SoftwareTokenRequest {
        access_token,
        session,
        user_code,
        friendly_device_name,
    }
}
