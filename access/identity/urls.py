from django.urls import path

from access.identity import oidc, views

urlpatterns = [
    # Sign-in through an OpenID Connect provider (allauth's views, ours checking every token).
    path("accounts/oidc/<str:provider_id>/login/", oidc.login, name="openid_connect_login"),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        oidc.callback,
        name="openid_connect_callback",
    ),
    path("accounts/cancelled/", views.sign_in_cancelled, name="socialaccount_login_cancelled"),
    path("sign-up/", views.register, name="sign-up"),
    path("sign-up/<str:token>/", views.register_complete, name="sign-up-complete"),
    path("account/", views.account, name="account"),
    path("account/affiliations/", views.account_affiliation, name="account-affiliation"),
    path("account/orcid/", views.account_orcid, name="account-orcid"),
    path("account/tokens/new/", views.token_create, name="token-create"),
    path("people/<int:pk>/sessions/", views.person_sessions, name="person-sessions"),
    path(
        "organisations/<slug:slug>/people/",
        views.organisation_people,
        name="organisation-people",
    ),
    path(
        "affiliations/<int:pk>/<str:decision>/",
        views.affiliation_decide,
        name="affiliation-decide",
    ),
]
