"""The use cases wired to each other, with the factor, action and purpose registries.

Pure wiring: no rule lives here. ``bootstrap.py`` calls ``build_services`` with real adapters;
``tests/services`` with the in-memory fakes. Each registry is checked for completeness here,
so a missing handler stops start-up instead of failing a customer's verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Purpose
from otpgate.domain.channels import Channel
from otpgate.domain.factors import FactorType
from otpgate.services.account import AccountService
from otpgate.services.actions import ActionHandler, check_actions
from otpgate.services.addresses import AddAddress, AddressService, DeleteAddress, UpdateAddress
from otpgate.services.api_keys import ApiKeyService
from otpgate.services.approval_tokens import VerificationApprover
from otpgate.services.approvals import ApprovalHandler, check_purposes
from otpgate.services.challenges import ChallengeIssuer
from otpgate.services.deps import Deps
from otpgate.services.devices import DeviceService
from otpgate.services.enrolment import FactorService
from otpgate.services.enrolment_actions import AddFactor, RemoveFactor
from otpgate.services.factors import Factor, Sender, check_factors
from otpgate.services.factors.backup_code import BackupCode
from otpgate.services.factors.passkey import Passkey
from otpgate.services.factors.sms_code import SmsCode
from otpgate.services.factors.totp import Totp
from otpgate.services.factors.voice_code import VoiceCode
from otpgate.services.mail import MailService
from otpgate.services.passkey_enrolment import PasskeyEnrolment
from otpgate.services.payments import AddCard, DeleteCard, PaymentService, UpdateCard
from otpgate.services.profile import (
    ChangePassword,
    ChangePhone,
    ConfirmNewPhone,
    ProfileService,
    UpdateProfile,
)
from otpgate.services.recovery import RecoveryService
from otpgate.services.registration import RegistrationService
from otpgate.services.sessions import SessionService
from otpgate.services.signin import SignInService
from otpgate.services.signing import TokenSigner
from otpgate.services.stepup import StepUpService
from otpgate.services.verifications import VerificationService
from otpgate.services.verify import Verifier


@dataclass(frozen=True, slots=True)
class Services:
    deps: Deps
    sessions: SessionService
    challenges: ChallengeIssuer
    verifier: Verifier
    registration: RegistrationService
    signin: SignInService
    account: AccountService
    stepup: StepUpService
    profile: ProfileService
    addresses: AddressService
    payments: PaymentService
    devices: DeviceService
    # The shop's applications (the verification API).
    api_keys: ApiKeyService
    signer: TokenSigner
    verifications: VerificationService
    factors: FactorService
    passkeys: PasskeyEnrolment
    passkey: Passkey
    mail: MailService
    recovery: RecoveryService


def build_services(deps: Deps) -> Services:
    sessions = SessionService(deps)
    mail = MailService(deps)
    sms, voice, passkey = SmsCode(deps), VoiceCode(deps), Passkey(deps)
    factors: dict[FactorType, Factor] = {
        FactorType.SMS_CODE: sms,
        FactorType.VOICE_CODE: voice,
        FactorType.TOTP: Totp(deps),
        FactorType.PASSKEY: passkey,
        FactorType.BACKUP_CODE: BackupCode(deps),
    }
    check_factors(factors)
    # Calls are one of the channels a code may take only where the operator configured them.
    senders: dict[Channel, Sender] = {Channel.SMS: sms}
    if deps.config.factors.voice:
        senders[Channel.VOICE] = voice
    actions: dict[ActionType, ActionHandler] = {
        ActionType.UPDATE_PROFILE: UpdateProfile(mail),
        ActionType.CHANGE_PASSWORD: ChangePassword(sessions),
        ActionType.CHANGE_PHONE: ChangePhone(),
        ActionType.CONFIRM_NEW_PHONE: ConfirmNewPhone(deps),
        ActionType.ADD_ADDRESS: AddAddress(),
        ActionType.UPDATE_ADDRESS: UpdateAddress(),
        ActionType.DELETE_ADDRESS: DeleteAddress(),
        ActionType.ADD_PAYMENT_METHOD: AddCard(),
        ActionType.UPDATE_PAYMENT_METHOD: UpdateCard(),
        ActionType.DELETE_PAYMENT_METHOD: DeleteCard(),
        ActionType.ADD_FACTOR: AddFactor(deps),
        ActionType.REMOVE_FACTOR: RemoveFactor(deps),
    }
    check_actions(actions)
    # The issuer names a step-up's change in the language of its texts (the account's).
    issuer = ChallengeIssuer(deps, senders, actions)
    stepup = StepUpService(deps, issuer, actions, mail=mail)
    registration = RegistrationService(deps, issuer, sessions, mail=mail)
    signin = SignInService(deps, issuer, sessions, mail=mail)
    recovery = RecoveryService(deps, issuer, sessions, mail)
    signer = TokenSigner(
        deps.store,
        deps.clock,
        deps.jose,
        deps.sealer,
        retention=timedelta(seconds=deps.config.signing_key_retention_seconds),
    )
    approvals: dict[Purpose, ApprovalHandler] = {
        Purpose.VERIFY_PHONE: registration,
        Purpose.SIGN_IN: signin,
        Purpose.STEP_UP: stepup,
        Purpose.VERIFY: VerificationApprover(deps, signer),
        Purpose.RECOVER: recovery,
    }
    check_purposes(approvals)
    verifier = Verifier(deps, factors, approvals)
    return Services(
        deps=deps,
        sessions=sessions,
        challenges=issuer,
        verifier=verifier,
        registration=registration,
        signin=signin,
        account=AccountService(deps),
        stepup=stepup,
        profile=ProfileService(deps, stepup),
        addresses=AddressService(deps, stepup, strict=deps.config.strict_address_edits),
        payments=PaymentService(deps, stepup),
        devices=DeviceService(deps),
        api_keys=ApiKeyService(deps.store, deps.clock),
        signer=signer,
        verifications=VerificationService(deps, issuer, verifier),
        factors=FactorService(deps, stepup),
        passkeys=PasskeyEnrolment(deps),
        passkey=passkey,
        mail=mail,
        recovery=recovery,
    )
