# %% [markdown]
# # Exercises 10 · The same app as a template
#
# After lesson [10 · The same app as a template](../notebooks/10-templates.ipynb). The answer goes
# in the chat's template, [`lambdas/chat/template.yaml`](lambdas/chat/template.yaml) next to this
# notebook: open it in JupyterLab's editor.
#
# **How this exercise works.** Edit the template where it says `# YOUR CODE HERE`, save it, run
# the deploy cell (it creates your stack `mystack` the first time, and updates it after that),
# then run the check. A check answers in one line: ✓ and what passed, or ✗ and what is wrong,
# with a hint at the fix. The stack runs the finished chat's code, so this exercise needs none of
# the earlier ones.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()
TEMPLATE = "lambdas/chat/template.yaml"

# %% [markdown]
# ## 1 · The whisper route, in the template `[template-whisper]` · 15 min
#
# **Why?** In a template, a route is a few resources that refer to each other, and adding one is
# an edit plus an update of the stack. The edit is not all: as lesson 10 showed, the stage keeps
# serving its old deployment until the template gives the `Deployment` a new logical id.
#
# **What?** First run the deploy cell below once, before you change anything: it creates the stack
# `mystack` from the template as it is, the chat without `whisper` (a whisper gets the `$default`
# help back). Then add the `whisper` route to the template, modelled on `sendMessage` (copy its
# resources and rename them):
#
# - `WhisperFunction`, an `AWS::Serverless::Function` with `Handler: whisper.lambda_handler`,
#   named `!Sub ${AWS::StackName}-whisper`, and its log group `WhisperLogs`;
# - that log group in the role's `WriteLogs` statement (the functions may write to their own log
#   groups only);
# - `WhisperIntegration`, `WhisperRoute` (`RouteKey: whisper`) and `WhisperPermission` (its
#   `SourceArn` ends in `/*/whisper`);
# - `WhisperRoute` in the `DependsOn` of the `Deployment`, so that the deployment comes after it.
#
# Save, run the deploy cell, and run the check: it says whether the stage serves the route yet,
# and what to change if it does not. The check connects ada, bob and cyd to your stack's
# `WebSocketURL`: a whisper from ada to bob must reach bob and not cyd, and a whisper to a name
# nobody has must bring an error frame back. When a deploy fails, the check also asks `cfn-lint`
# (the linter the kit's own templates pass) where the template is wrong. To ask it yourself
# before you deploy, run `checks.lint_template(TEMPLATE)` in a new cell: it lints your copy,
# the file next to this notebook (from a terminal in this notebook's folder,
# `cfn-lint lambdas/chat/template.yaml` says the same).

# %% tags=["nbval-ignore-output"]
outputs = checks.deploy_template(TEMPLATE, "mystack")
outputs["WebSocketURL"]

# %% tags=["check:template-whisper"]
checks.check_template_whisper(TEMPLATE, "mystack")

# %% tags=["hidden:template-whisper"]
checks.check_template_whisper(
    TEMPLATE,
    checks.unique("room"),
    names=(checks.unique("alice"), checks.unique("bob"), checks.unique("carol")),
    fresh_stage=checks.unique("beta"),
)

# %% [markdown]
# ## Done?
#
# When you are done, delete your stack: `delete_stack("mystack")` from `infra.deploy.stacks`
# (and on AWS, `aws cloudformation delete-stack --stack-name mystack`). To deploy your template to
# AWS, the chat's [README](lambdas/chat/README.md) has the AWS CLI's commands.
