"""The platform operator (平台运维): one login from configuration, never signed up, who sees
every community, suspends and resumes them, and whose every action is audited."""
