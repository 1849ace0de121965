from infra.deploy.apps import deploy_app
def test_probe(aws, capsys):
    url = deploy_app("chat")
    print(url)
    url = deploy_app("chat")
    print(url)
    url = deploy_app("arena")
