//! Jenkins REST client: list jobs across folders and fetch their config.xml.
