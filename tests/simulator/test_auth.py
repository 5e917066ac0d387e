from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import API, DEMO, OTHER

PATHS = ["licenses/", "5/cameras/", "5/logs/", "5/cameras/C1/logs/", "5/cameras/C1/reference/",
         "5/alerts/"]


@pytest.mark.parametrize("path", PATHS)
def test_missing_token_is_401(client: FlaskClient, path: str) -> None:
    resp = client.get(API + path)
    assert resp.status_code == 401
    assert resp.json == {"detail": "Authentication credentials were not provided."}
    assert resp.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("header", "detail"), [
    ("Token wrong", "Invalid token."),
    ("Token", "Invalid token header. No credentials provided."),
    ("Token a b", "Invalid token header. Token string should not contain spaces."),
    ("Bearer demo-token", "Authentication credentials were not provided."),
])
def test_bad_token_is_401(client: FlaskClient, header: str, detail: str) -> None:
    resp = client.get(API + "licenses/", headers={"Authorization": header})
    assert resp.status_code == 401 and resp.json == {"detail": detail}


def test_token_keyword_is_case_insensitive(client: FlaskClient) -> None:
    assert client.get(API + "licenses/", headers={"Authorization": "token demo-token"}
                      ).status_code == 200


def test_each_user_sees_own_licenses(client: FlaskClient) -> None:
    assert [x["code"] for x in client.get(API + "licenses/", headers=OTHER).json] == ["LIC-OTHER9"]
    none = client.get(API + "licenses/", headers={"Authorization": "Token noaccess-token"})
    assert none.status_code == 200 and none.json == []


@pytest.mark.parametrize("path", [*PATHS[1:], "5/cameras/C1/"])
def test_other_users_license_is_403(client: FlaskClient, path: str) -> None:
    method = client.delete if path.endswith("C1/") else client.get
    resp = method(API + path, headers=OTHER)
    assert resp.status_code == 403
    assert resp.json == {"detail": "You do not have permission to perform this action."}


@pytest.mark.parametrize("path", ["999/cameras/", "999/logs/", "999/alerts/",
                                  "5/cameras/NOPE/logs/", "5/cameras/NOPE/reference/",
                                  "7/cameras/C1/logs/", "not-a-number/cameras/"])
def test_unknown_resource_is_404(client: FlaskClient, path: str) -> None:
    resp = client.get(API + path, headers=DEMO)
    assert resp.status_code == 404 and resp.json == {"detail": "Not found."}


def test_wrong_method_is_405_json(client: FlaskClient) -> None:
    resp = client.put(API + "licenses/", headers=DEMO)
    assert resp.status_code == 405 and resp.json == {"detail": 'Method "PUT" not allowed.'}
