"""The CI templates' one run step (``run.sh``), shipped in the package so the GitHub Action
(``action.yml``, from its own checkout) and the GitLab template (``ci/standing.gitlab-ci.yml``,
from the installed package) run the same steps. Nothing here is imported by the tool itself."""
