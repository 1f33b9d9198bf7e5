"""Programs written the way new users write them, each run as a fresh Python process against a cluster of its own.

A user prepares only a kubeconfig (here: a bare local control plane of this module's own, so that the
programs may use ``default`` and ``shop`` and list every namespace, as users do); everything else — the
CRDs, the namespaces — the programs make themselves, as the README and the docs say. The official
``kubernetes`` client witnesses what landed on the server.

- the original pykorm's README, verbatim, after ``kubectl apply`` of the CRD it shows;
- a program in the style of the original pykorm's own tests (its conftest's models, its assertions);
- docs/getting-started.md and docs/migrating/original-pykorm.md, their blocks verbatim, as one program each;
- the ``pykorm`` command on the user's own models file (``crd``, then ``rbac``);
- the README's async taste.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator

import kubernetes
import pytest
import yaml

from pykorm.testing import Cluster

from .planes import private_plane

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the repository (a worktree of it sits one level deeper)
SEED_README = next((p for p in (ROOT.parent / "shared" / "seeds" / "pykorm-README.md",
                                ROOT.parent.parent / "shared" / "seeds" / "pykorm-README.md") if p.exists()),
                   ROOT.parent / "shared" / "seeds" / "pykorm-README.md")
GROUP = "pykorm.infomaniak.com"


@pytest.fixture(scope="module")
def kubeconfig(k8s_cluster: Cluster) -> Iterator[Path]:
    """The kubeconfig of a bare control plane only this module's programs use."""
    with private_plane(k8s_cluster, why="users' programs write to default and shop and list every namespace") as (plane, _):
        assert plane.kubeconfig is not None
        yield Path(plane.kubeconfig)


@pytest.fixture
def official(kubeconfig: Path) -> Iterator[kubernetes.client.ApiClient]:
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(str(kubeconfig), client_configuration=configuration)
    with kubernetes.client.ApiClient(configuration) as client:
        yield client


def run(program: str, kubeconfig: Path, tmp_path: Path, *args: str, cwd: Path | None = None) -> str:
    """``program`` run as ``python program.py`` in a fresh process with only ``$KUBECONFIG`` set; its output."""
    path = tmp_path / "program.py"
    path.write_text(program)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig),
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, str(path), *args], cwd=cwd or tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout


def code_blocks(markdown: str, language: str = "python") -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, re.S | re.M)


def seed_readme_crd() -> dict[str, Any]:
    if not SEED_README.exists():
        pytest.skip(f"{SEED_README} (the original pykorm's README) is not beside the repository")
    crd = yaml.safe_load(code_blocks(SEED_README.read_text(), "yaml")[0])
    assert crd["metadata"]["name"] == f"peaches.{GROUP}"
    return crd


def kubectl_apply_crd(client: kubernetes.client.ApiClient, crd: dict[str, Any]) -> None:
    """What ``kubectl apply -f crd.yaml`` does for a user before their first program, and wait until served."""
    api = kubernetes.client.ApiextensionsV1Api(client)
    try:
        api.create_custom_resource_definition(crd)
    except kubernetes.client.ApiException as error:
        assert error.status == 409, error
        current = api.read_custom_resource_definition(crd["metadata"]["name"])
        crd = {**crd, "metadata": {**crd["metadata"], "resourceVersion": current.metadata.resource_version}}
        api.replace_custom_resource_definition(crd["metadata"]["name"], crd)
    for _ in range(300):
        conditions = api.read_custom_resource_definition(crd["metadata"]["name"]).status.conditions or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            return
        time.sleep(0.1)
    pytest.fail(f"{crd['metadata']['name']} was never Established")


def test_the_original_readme_runs_verbatim(kubeconfig: Path, official: kubernetes.client.ApiClient, tmp_path: Path) -> None:
    """The seed README's CRD applied as with kubectl, then its Python blocks as written: class, create, list, delete."""
    kubectl_apply_crd(official, seed_readme_crd())
    blocks = code_blocks(SEED_README.read_text())
    # the REPL session as a program: its input lines (">>>  print" is the loop's body), not the output shown
    listing = "\n".join(line[4:] for line in blocks[2].splitlines() if line.startswith(">>> "))
    program = "\n".join([blocks[0], blocks[1], "import kubernetes\nkubernetes.config.load_kube_config()\n"
                         "print(kubernetes.client.CustomObjectsApi().get_namespaced_custom_object("
                         f"'{GROUP}', 'v1', 'default', 'peaches', 'cake-peach')['spec'])",
                         listing, blocks[3]])
    out = run(program, kubeconfig, tmp_path).splitlines()
    assert out == ["{'variety': 'Frost'}", "<Peach namespace=default, name=cake-peach, variety=Frost>"]
    items = kubernetes.client.CustomObjectsApi(official).list_cluster_custom_object(GROUP, "v1", "peaches")["items"]
    assert items == []  # pk.delete(peach) deleted it


ORIGINAL_TESTS_STYLE = '''
import uuid
import kubernetes
import pykorm

@pykorm.k8s_custom_object('pykorm.infomaniak.com', 'v1', 'peaches')
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.fields.Spec('variety', 'default-variety')
    tastyness: str = pykorm.fields.MetadataAnnotation('tastyness', 'very-tasty')

    def __init__(self, namespace: str, name: str, variety: str):
        self.namespace = namespace
        self.name = name
        self.variety = variety

@pykorm.pykorm.k8s_core(kind='Namespace')
class Namespace(pykorm.models.ClusterModel):
    pass

@pykorm.pykorm.k8s_core(kind='Pod')
class Pod(pykorm.models.NamespacedModel):
    pass

kubernetes.config.load_kube_config()
api = kubernetes.client.CustomObjectsApi()

# nothing yet, asked before any Pykorm() exists
assert list(Peach.query.all()) == []

# an object made by another client is read
api.create_namespaced_custom_object('pykorm.infomaniak.com', 'v1', 'default', 'peaches', {
    'apiVersion': 'pykorm.infomaniak.com/v1', 'kind': 'Peach',
    'metadata': {'namespace': 'default', 'name': 'tasty-peach'}, 'spec': {'variety': 'Riga'}})
[tasty] = list(Peach.query.all())
assert (tasty.name, tasty.variety, tasty.tastyness) == ('tasty-peach', 'Riga', 'very-tasty'), tasty.tastyness

pk = pykorm.Pykorm()
a = Peach(namespace='default', name='rotten', variety='Red Heaven')
pk.save(a)
a.variety = 'Blue Heaven'
pk.save(a)
raw = api.get_namespaced_custom_object('pykorm.infomaniak.com', 'v1', 'default', 'peaches', 'rotten')
assert raw['spec'] == {'variety': 'Blue Heaven'} and raw['metadata']['annotations'] == {'tastyness': 'very-tasty'}
assert a in list(Peach.query.all())

# filter_by, chained; sets of models
for variety in ['a', 'b']:
    pk.save(Peach(namespace='default', name=f'{variety}-0', variety=variety))
assert set(Peach.query.filter_by(variety='a').all()) == {Peach.query.filter_by(namespace='default').get('a-0')}
assert Peach.query.filter_by(namespace='default').filter_by(variety='b').all()[0].name == 'b-0'
assert Peach.query.filter_by(namespace='idontexist').filter_by(variety='a').all() == []
assert Peach.query.filter_by(namespace='default').get('none-such') is None

# the uid is the server's
try:
    a._k8s_uid = 'hello'
except Exception:
    pass
else:
    raise AssertionError('_k8s_uid was set')

# built-in kinds with no fields
assert 'default' in [ns.name for ns in Namespace.query.all()]

# the multi-cluster example's uid juggling, to save an object read from one cluster to another
Namespace._k8s_uid.readonly = False
ns1 = list(filter(lambda x: x.name == 'default', Namespace.query.all()))[0]
ns1._k8s_uid = None
assert ns1._k8s_uid is None
Namespace._k8s_uid.readonly = True
assert list(Pod.query.all()) == []

# fields, outside any model
md = pykorm.fields.Metadata('hello.foo.bar')
assert md.to_dict('42') == {'metadata': {'hello': {'foo': {'bar': '42'}}}}
assert pykorm.fields.Metadata('.annotations.foo.bar').get_data({'metadata': {'annotations': {'foo': {'bar': 'Y'}}}}) == 'Y'

for peach in Peach.query.all():
    pk.delete(peach)
print(sorted(p['metadata']['name'] for p in api.list_cluster_custom_object('pykorm.infomaniak.com', 'v1', 'peaches')['items']))
'''


def test_a_program_in_the_style_of_the_original_pykorms_tests(
    kubeconfig: Path, official: kubernetes.client.ApiClient, tmp_path: Path
) -> None:
    kubectl_apply_crd(official, seed_readme_crd())
    assert run(ORIGINAL_TESTS_STYLE, kubeconfig, tmp_path).splitlines() == ["[]"]


def test_getting_started_runs_verbatim(kubeconfig: Path, official: kubernetes.client.ApiClient, tmp_path: Path) -> None:
    """Its blocks as written, ``shop`` and all: the page makes the namespace it uses (a user following it on a
    fresh cluster hit ``NotFound: namespaces "shop" not found``)."""
    program = "\n".join(code_blocks((ROOT / "docs" / "getting-started.md").read_text()))
    out = run(program, kubeconfig, tmp_path)
    assert "['pie-peach']" in out and "spec.price" in out
    items = kubernetes.client.CustomObjectsApi(official).list_namespaced_custom_object("example.com", "v1", "shop", "peaches")["items"]
    assert [(i["metadata"]["name"], i["spec"]) for i in items] == [("pie-peach", {"variety": "Redhaven", "price": 1})]


def test_migrating_from_the_original_runs_verbatim(
    kubeconfig: Path, official: kubernetes.client.ApiClient, tmp_path: Path
) -> None:
    """docs/migrating/original-pykorm.md from the repository's root (its CRD file path is relative to it)."""
    kubernetes.client.CoreV1Api(official).list_namespace()  # the cluster is up
    core = kubernetes.client.CoreV1Api(official)
    if "shop" not in [ns.metadata.name for ns in core.list_namespace().items]:
        core.create_namespace({"metadata": {"name": "shop"}})  # what the page's reader has (getting-started makes it)
    program = "\n".join(code_blocks((ROOT / "docs" / "migrating" / "original-pykorm.md").read_text()))
    out = run(program, kubeconfig, tmp_path, cwd=ROOT)
    assert "<Peach namespace=shop, name=cake-peach, variety=Frost>" in out
    items = kubernetes.client.CustomObjectsApi(official).list_namespaced_custom_object(GROUP, "v1", "shop", "peaches")["items"]
    assert [(i["metadata"]["name"], i["spec"]["variety"]) for i in items] == [("pie-peach", "Frost")]


USER_MODELS = '''
import pykorm

@pykorm.k8s_custom_object("shop.example.org", "v1", "baskets")
class Basket(pykorm.NamespacedModel):
    owner: str = pykorm.Spec("owner", required=True)
    items: int = pykorm.Spec("items", default=0, minimum=0)
'''


def test_the_cli_on_a_users_own_models(kubeconfig: Path, official: kubernetes.client.ApiClient, tmp_path: Path) -> None:
    """``pykorm crd models.py`` prints a CRD the official client installs; a program then writes through it;
    ``pykorm rbac`` grants what that program needs and no more."""
    (tmp_path / "models.py").write_text(USER_MODELS)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(ROOT)}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "pykorm", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    crd = yaml.safe_load(cli("crd", "models.py"))
    assert crd["metadata"]["name"] == "baskets.shop.example.org"
    kubectl_apply_crd(official, crd)
    program = USER_MODELS + textwrap.dedent('''
        pk = pykorm.Pykorm()
        pk.save(Basket(namespace="default", name="mine", owner="ana", items=2))
        try:
            pk.save(Basket(namespace="default", name="bad", owner="ana", items=-1))
        except pykorm.ClientValidationError as error:
            print(error)
    ''')
    assert "spec.items" in run(program, kubeconfig, tmp_path)
    items = kubernetes.client.CustomObjectsApi(official).list_namespaced_custom_object("shop.example.org", "v1", "default", "baskets")["items"]
    assert [(i["metadata"]["name"], i["spec"]) for i in items] == [("mine", {"owner": "ana", "items": 2})]
    grants = list(yaml.safe_load_all(cli("rbac", "models.py:Basket", "--name", "shop", "--namespace", "default", "--read-only")))
    rules = [rule for doc in grants if doc and doc["kind"] in ("Role", "ClusterRole") for rule in doc.get("rules", [])]
    basket_rules = [rule for rule in rules if "baskets" in rule.get("resources", [])]
    assert basket_rules and all(set(rule["verbs"]) <= {"get", "list", "watch"} for rule in basket_rules)


ASYNC_PROGRAM = '''
import asyncio
import pykorm
from pykorm.aio import AsyncPykorm

@pykorm.k8s_custom_object("example.com", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.Spec("variety", required=True)
    price: int | None = pykorm.Spec("price", default=None, minimum=0, selectable=True)
    ripeness: str | None = pykorm.Status("ripeness", default=None)

async def main():
    async with AsyncPykorm() as apk:
        await apk.install_crds(Peach)
        await apk.apply(pykorm.k8s.Namespace(name="shop"))
        await apk.save(Peach(namespace="shop", name="async-peach", variety="Frost", price=5))
        peach = await apk.get(Peach, "async-peach", "shop")
        print(peach.variety, [p.name async for p in apk.query(Peach).namespace("shop").filter(price__gte=3)])

asyncio.run(main())
'''


def test_the_readme_async_taste(kubeconfig: Path, official: kubernetes.client.ApiClient, tmp_path: Path) -> None:
    assert run(ASYNC_PROGRAM, kubeconfig, tmp_path).splitlines() == ["Frost ['async-peach']"]
    raw = kubernetes.client.CustomObjectsApi(official).get_namespaced_custom_object("example.com", "v1", "shop", "peaches", "async-peach")
    assert raw["spec"] == {"variety": "Frost", "price": 5}
