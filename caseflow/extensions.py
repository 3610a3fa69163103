"""Flask extensions, created unbound and initialised in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from caseflow.db import Base

# Objects stay readable after a commit (a session lives for one request, job or command), so a
# response can be built from what was just stored without reading it back.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def _include_object(obj, name, type_, reflected, compare_to):
    """Keep tables that are not ours (APScheduler's job store) out of autogenerate."""
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("apscheduler"))


migrate = Migrate(render_as_batch=True, compare_type=True, include_object=_include_object)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()
