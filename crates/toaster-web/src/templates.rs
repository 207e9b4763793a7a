//! The page templates (minijinja, HTML auto-escaping on) and the static assets, all
//! compiled into the binary: nothing is read from disk or the internet at run time.

use minijinja::{Environment, Value};

use crate::error::{Error, Result};

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("table.html", include_str!("../templates/table.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("landing.html", include_str!("../templates/landing.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("task.html", include_str!("../templates/task.html")),
    ("recipe.html", include_str!("../templates/recipe.html")),
    ("package.html", include_str!("../templates/package.html")),
    (
        "configuration.html",
        include_str!("../templates/configuration.html"),
    ),
    (
        "configvars.html",
        include_str!("../templates/configvars.html"),
    ),
    ("dirinfo.html", include_str!("../templates/dirinfo.html")),
    // The project pages (projects.rs).
    (
        "projectbase.html",
        include_str!("../templates/projectbase.html"),
    ),
    (
        "newproject.html",
        include_str!("../templates/newproject.html"),
    ),
    ("project.html", include_str!("../templates/project.html")),
    (
        "projectconf.html",
        include_str!("../templates/projectconf.html"),
    ),
    (
        "projecttable.html",
        include_str!("../templates/projecttable.html"),
    ),
    (
        "importlayer.html",
        include_str!("../templates/importlayer.html"),
    ),
    (
        "layerdetails.html",
        include_str!("../templates/layerdetails.html"),
    ),
    (
        "customimage.html",
        include_str!("../templates/customimage.html"),
    ),
];

/// A static asset: its name under `/static/`, content type and bytes.
pub(crate) const STATIC: &[(&str, &str, &str)] = &[
    (
        "toaster.css",
        "text/css; charset=utf-8",
        include_str!("../static/toaster.css"),
    ),
    (
        "toaster.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/toaster.js"),
    ),
    (
        "project.css",
        "text/css; charset=utf-8",
        include_str!("../static/project.css"),
    ),
    (
        "project.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/project.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../static/favicon.svg"),
    ),
];

/// The template environment (built once at start; a template error is a start error).
pub(crate) fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    // Every template is HTML: escape everything unless marked safe in Rust.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    for (name, src) in TEMPLATES {
        env.add_template(name, src).map_err(|e| Error::Template {
            name: (*name).to_owned(),
            message: e.to_string(),
        })?;
    }
    Ok(env)
}

/// Renders template `name` with `ctx`.
pub(crate) fn render(env: &Environment<'_>, name: &str, ctx: Value) -> Result<String> {
    let t = env.get_template(name).map_err(|e| Error::Template {
        name: name.to_owned(),
        message: e.to_string(),
    })?;
    t.render(ctx).map_err(|e| Error::Template {
        name: name.to_owned(),
        message: e.to_string(),
    })
}
