"""The one exception every setting problem raises, importable without importing the settings themselves."""


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable and what it expects."""
