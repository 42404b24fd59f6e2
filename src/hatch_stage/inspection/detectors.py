"""Detectors for credential formats detect-secrets 1.5 does not know, as detect-secrets plugins.

Each detector is a ``RegexBasedDetector`` subclass, so a finding has a detect-secrets type and
``hashed_secret``, a ``.secrets.baseline`` can list it, and ``detect-secrets audit`` can find it
again: a baseline written by ``hatch-stage baseline`` names this file in ``plugins_used``
(``"path": "file://.../detectors.py"``), which is how detect-secrets loads custom plugins.
That is also why this module imports nothing but the standard library and detect-secrets:
detect-secrets imports it by path, outside the ``hatch_stage`` package.

The formats are those of gitleaks' default rule set whose tokens carry a fixed prefix (a
provider's own marker, so a match is a credential of that provider and nothing else), plus
credential files recognised by their content (docker ``config.json`` auths, kubeconfig client
keys, ``.netrc`` passwords). The regexes are written here from the providers' published token
formats. Rules of gitleaks that only recognise a provider's name next to a random string are
left to detect-secrets' keyword and entropy plugins.

Every detector carries ``triggers``: literals or simple regexes of which every match of its
``denylist`` contains one, on the same line. :mod:`hatch_stage.secretscan` searches them
through the whole file at C speed and runs a detector only on the lines they mark (the
property tests generate strings from each ``denylist`` to hold that promise).
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from detect_secrets.plugins.base import RegexBasedDetector

#: (pattern, searched in the lowered text?) pairs; see the module docstring
Triggers = tuple[tuple[str, bool], ...]

# a token ends where token characters end
_END = r"(?![A-Za-z0-9_])"
_START = r"(?<![A-Za-z0-9_])"

#: class name -> (detect-secrets type, denylist regexes, triggers)
PROVIDERS: dict[str, tuple[str, tuple[str, ...], Triggers]] = {
    "GitHubFineGrainedTokenDetector": (
        "GitHub Fine-Grained Token", (r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",),
        (("github_pat_", False),)),
    "AnthropicKeyDetector": (
        "Anthropic API Key", (r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{93}AA",),
        (("sk-ant-", False),)),
    "NpmAccessTokenDetector": (
        "npm Access Token", (_START + r"npm_[A-Za-z0-9]{36}" + _END,), (("npm_", False),)),
    "GoogleApiKeyDetector": (
        "Google API Key", (r"AIza[0-9A-Za-z_-]{35}",), (("AIza", False),)),
    "SlackAppTokenDetector": (
        "Slack App Token",
        (r"xapp-\d-[A-Z0-9]{8,14}-\d{10,15}-[a-f0-9]{32,80}", r"xoxe-\d-[A-Z0-9]{140,160}"),
        (("xapp-", False), ("xoxe-", False))),
    "DigitalOceanTokenDetector": (
        "DigitalOcean Token", (r"do[opr]_v1_[a-f0-9]{64}",), (("_v1_", False),)),
    "DatabricksTokenDetector": (
        "Databricks Token", (_START + r"dapi[a-f0-9]{32}(?:-\d)?" + _END,), (("dapi", False),)),
    "HuggingFaceTokenDetector": (
        "Hugging Face Token", (_START + r"(?:hf|api_org)_[A-Za-z]{34}" + _END,),
        (("hf_", False), ("api_org_", False))),
    "RubyGemsKeyDetector": (
        "RubyGems API Key", (r"rubygems_[a-f0-9]{48}",), (("rubygems_", False),)),
    "ShopifyTokenDetector": (
        "Shopify Token", (r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",), (("shp", False),)),
    "PostmanKeyDetector": (
        "Postman API Key", (r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",), (("PMAK-", False),)),
    "LinearKeyDetector": (
        "Linear API Key", (r"lin_api_[A-Za-z0-9]{40}",), (("lin_api_", False),)),
    "VaultTokenDetector": (
        "HashiCorp Vault Token", (_START + r"hv[sb]\.[A-Za-z0-9_-]{90,300}",),
        ((r"hv[sb]\.", False),)),
    "TerraformCloudTokenDetector": (
        "Terraform Cloud Token", (r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",),
        ((r"atlasv1\.", False),)),
    "AgeSecretKeyDetector": (
        "Age Secret Key", (r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",),
        (("AGE-SECRET-KEY-1", False),)),
    "DopplerTokenDetector": (
        "Doppler Token", (r"dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}",),
        ((r"dp\.(?:pt|st|ct|sa|scim|audit)\.", False),)),
    "DynatraceTokenDetector": (
        "Dynatrace Token", (r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}",), (("dt0c01.", False),)),
    "BrevoKeyDetector": (
        "Brevo API Key", (r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",), (("xkeysib-", False),)),
    "SentryTokenDetector": (
        "Sentry Token", (r"sntryu_[a-f0-9]{64}", r"sntrys_eyJpYXQiO[A-Za-z0-9+/=_]{60,400}"),
        (("sntryu_", False), ("sntrys_", False))),
    "GrafanaTokenDetector": (
        "Grafana Token",
        (_START + r"glc_[A-Za-z0-9+/]{32,400}={0,2}", r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
         r"eyJrIjoi[A-Za-z0-9]{70,400}={0,2}"),
        (("glc_", False), ("glsa_", False), ("eyJrIjoi", False))),
    "PlanetScaleTokenDetector": (
        "PlanetScale Token", (r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}",),
        (("pscale_", False),)),
    "PulumiTokenDetector": (
        "Pulumi Access Token", (_START + r"pul-[a-f0-9]{40}" + _END,), (("pul-", False),)),
    "PrefectKeyDetector": (
        "Prefect API Key", (_START + r"pnu_[A-Za-z0-9]{36}" + _END,), (("pnu_", False),)),
    "ReadmeKeyDetector": (
        "ReadMe API Key", (r"rdme_[a-z0-9]{70}",), (("rdme_", False),)),
    "ScalingoTokenDetector": (
        "Scalingo Token", (r"tk-us-[A-Za-z0-9_-]{48}",), (("tk-us-", False),)),
    "ShippoTokenDetector": (
        "Shippo Token", (r"shippo_(?:live|test)_[a-fA-F0-9]{40}",), (("shippo_", False),)),
    "PerplexityKeyDetector": (
        "Perplexity API Key", (r"pplx-[A-Za-z0-9]{48}",), (("pplx-", False),)),
    "NotionTokenDetector": (
        "Notion Token", (r"ntn_\d{11}[A-Za-z0-9]{35}",), (("ntn_", False),)),
    "InfracostKeyDetector": (
        "Infracost API Key", (_START + r"ico-[A-Za-z0-9]{32}" + _END,), (("ico-", False),)),
    "FlyioTokenDetector": (
        "Fly.io Token", (r"fo1_[A-Za-z0-9_-]{43}", r"fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}"),
        (("fo1_", False), (r"fm[12][ar]?_", False))),
    "FrameioTokenDetector": (
        "Frame.io Token", (r"fio-u-[A-Za-z0-9_=-]{64}",), (("fio-u-", False),)),
    "DuffelTokenDetector": (
        "Duffel Token", (r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}",), (("duffel_", False),)),
    "EasyPostKeyDetector": (
        "EasyPost API Key", (_START + r"EZ[AT]K[A-Za-z0-9]{54}",), ((r"EZ[AT]K", False),)),
    "FlutterwaveKeyDetector": (
        "Flutterwave Key", (r"FLW(?:SECK|PUBK)(?:_TEST)?-[a-hA-H0-9]{32}-X",), (("FLW", False),)),
    "AlibabaKeyDetector": (
        "Alibaba Cloud AccessKey ID", (_START + r"LTAI[A-Za-z0-9]{20}" + _END,),
        (("LTAI", False),)),
    "AdobeSecretDetector": (
        "Adobe Client Secret", (_START + r"p8e-[A-Za-z0-9]{32}" + _END,), (("p8e-", False),)),
    "OnePasswordDetector": (
        "1Password Secret",
        (r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
         r"-[A-Z0-9]{5}", r"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}"),
        (("A3-", False), ("ops_eyJ", False))),
    "AirtableTokenDetector": (
        "Airtable Token", (_START + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _END,),
        ((r"pat[A-Za-z0-9]{14}\.", False),)),
    "ArtifactoryReferenceTokenDetector": (
        "Artifactory Reference Token", (_START + r"cmVmd[A-Za-z0-9]{59}" + _END,),
        (("cmVmd", False),)),
    "AtlassianTokenDetector": (
        "Atlassian API Token", (r"ATATT3[A-Za-z0-9_=-]{180,200}",), (("ATATT3", False),)),
    "AzureAdSecretDetector": (
        "Azure AD Client Secret", (r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}",),
        (("Q~", False),)),
    "AwsBedrockKeyDetector": (
        "Amazon Bedrock API Key", (_START + r"ABSK[A-Za-z0-9+/]{109,269}={0,2}",),
        (("ABSK", False),)),
    "ClojarsTokenDetector": (
        "Clojars Token", (r"CLOJARS_[a-z0-9]{60}",), (("CLOJARS_", False),)),
    "CloudflareOriginCaKeyDetector": (
        "Cloudflare Origin CA Key", (r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}",), (("v1.0-", False),)),
    "HerokuKeyDetector": (
        "Heroku API Key", (r"HRKU-AA[0-9A-Za-z_-]{58}",), (("HRKU-AA", False),)),
    "MaxMindKeyDetector": (
        "MaxMind License Key", (r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk",), (("_mmk", False),)),
    "NewRelicKeyDetector": (
        "New Relic Key", (r"NRAK-[A-Z0-9]{27}", r"NRII-[A-Za-z0-9-]{32}", r"NRJS-[a-f0-9]{19}"),
        ((r"NR(?:AK|II|JS)-", False),)),
    "OpenShiftTokenDetector": (
        "OpenShift Token", (r"sha256~[A-Za-z0-9_-]{43}",), (("sha256~", False),)),
    "SquareAccessTokenDetector": (
        "Square Access Token", (r"sq0atp-[A-Za-z0-9_-]{22}", _START + r"EAAA[A-Za-z0-9_-]{60}"),
        (("sq0atp-", False), ("EAAA", False))),
    "TeamsWebhookDetector": (
        "Microsoft Teams Webhook",
        (r"https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}"
         r"/IncomingWebhook/[a-f0-9]{32}/[a-f0-9-]{36}",),
        (("webhook.office.com", False),)),
    "TwitterBearerTokenDetector": (
        "Twitter Bearer Token", (r"A{22}[A-Za-z0-9%]{80,100}",), (("A" * 22, False),)),
    "SourcegraphTokenDetector": (
        "Sourcegraph Token", (r"sgp_(?:[a-f0-9]{16}_|local_)?[a-f0-9]{40}",), (("sgp_", False),)),
    "SettleMintTokenDetector": (
        "SettleMint Token", (r"sm_[aps]at_[A-Za-z0-9]{16}" + _END,), ((r"sm_[aps]at_", False),)),
    "IntraTokenDetector": (
        "42 Intra Client Secret", (r"s-s4t2(?:ud|af)-[a-f0-9]{64}",), (("s-s4t2", False),)),
    "HarnessTokenDetector": (
        "Harness Access Token",
        (r"[ps]at\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",),
        ((r"at\.[A-Za-z0-9_-]{22}\.", False),)),
    "OctopusDeployKeyDetector": (
        "Octopus Deploy API Key", (_START + r"API-[A-Z0-9]{26}" + _END,), (("API-", False),)),
    "MapboxSecretTokenDetector": (
        "Mapbox Secret Token", (r"sk\.eyJ1Ijoi[A-Za-z0-9._-]{60,400}",), (("sk.eyJ1Ijoi", False),)),
    "TypeformTokenDetector": (
        "Typeform Token", (r"tfp_[A-Za-z0-9_.=-]{59}",), (("tfp_", False),)),
    # credential files recognised by content: the secret is the value on the line
    "DockerAuthDetector": (
        "Docker Registry Auth", (r"\"auth\"\s*:\s*\"([A-Za-z0-9+/]{12,}={0,2})\"",),
        (('"auth"', False),)),
    "KubeconfigKeyDetector": (
        "Kubeconfig Client Key", (r"client-key-data\s*:\s*['\"]?([A-Za-z0-9+/]{40,}={0,2})",),
        (("client-key-data", False),)),
}


class _TriggeredDetector(RegexBasedDetector):
    """A regex detector that names the literals its matches contain (abstract: no type)."""

    triggers: Triggers = ()


class NetrcPasswordDetector(_TriggeredDetector):
    """The password of a netrc entry: ``password SECRET`` on a line of netrc tokens, on the
    ``machine`` line or on a line of its own below one (detect-secrets passes the lines around
    each line as ``context``)."""

    secret_type = "Netrc Password"
    denylist = (re.compile(
        r"^\s*(?:(?:machine|login|account)[ \t]+\S+[ \t]+)*password[ \t]+([^\s'\"`()=,;{}]{4,})"
        r"(?:[ \t]+(?:machine|login|account|port)[ \t]+\S+)*\s*$"
    ),)
    triggers: Triggers = ((r"password[ \t]+[^\s'\"`()=,;{}]", False),)
    _entry = re.compile(r"^\s*machine[ \t]+[\w.-]+(?:[ \t]|$)")

    def analyze_line(self, filename: str, line: str, line_number: int = 0,
                     context: Any = None, **kwargs: Any) -> Any:
        nearby = [line] if context is None else getattr(context, "lines", [line])
        if not any(self._entry.match(text) for text in nearby):
            return set()
        return super().analyze_line(filename, line, line_number, context, **kwargs)


def _detector(name: str, secret_type: str, patterns: tuple[str, ...], triggers: Triggers) -> type:
    return type(name, (_TriggeredDetector,), {
        "__doc__": f"{secret_type} (fixed-format token).",
        "__module__": __name__,
        "secret_type": secret_type,
        "denylist": tuple(re.compile(pattern) for pattern in patterns),
        "triggers": triggers,
    })


for _name, (_type, _patterns, _triggers) in PROVIDERS.items():
    globals()[_name] = _detector(_name, _type, _patterns, _triggers)

#: every detector class this module defines, by class name
DETECTORS: dict[str, type] = {
    **{name: globals()[name] for name in PROVIDERS},
    "NetrcPasswordDetector": NetrcPasswordDetector,
}


def detector_types() -> Generator[str, None, None]:
    """The detect-secrets types of this module's detectors."""
    for detector in DETECTORS.values():
        yield str(detector.secret_type)  # type: ignore[attr-defined]
