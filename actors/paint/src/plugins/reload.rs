//! Plugins changing on disk (PLUGINS_CHANGED): added ones started and
//! described, removed ones ended, changed ones swapped in with the previous
//! instance kept as the fallback until the new one has proved itself.

use super::*;

impl Plugins {
    /// Applies the changes of a plugins folder (`+name` added, `-name`
    /// removed, `~name` changed); what happened, for the log and the
    /// status line. `since`: when the change was announced (for the log's
    /// reload time).
    pub fn reload<'a>(&mut self, changes: impl Iterator<Item = (Change, &'a str)>, since: u64) -> Vec<Reloaded> {
        let mut out = Vec::new();
        for (change, module) in changes {
            let index = self.find(module);
            match (change, index) {
                (Change::Removed, Some(index)) => {
                    self.remove(index);
                    wsk::logf!("paint: removed {}", module);
                    out.push(Reloaded { text: format!("{} removed", module), error: false });
                }
                (Change::Removed, None) => {}
                (Change::Added, None) | (Change::Changed, None) => match self.load(module) {
                    Ok(at) => {
                        wsk::logf!("paint: loaded {} in {} ms", module, ms_since(since));
                        out.push(Reloaded { text: format!("{} added", self.name(at)), error: false });
                    }
                    Err(why) => {
                        wsk::logf!("paint: plugin {} left out: {}", module, why);
                        out.push(Reloaded { text: format!("{} not loaded: {}", module, why), error: true });
                    }
                },
                (Change::Added, Some(index)) | (Change::Changed, Some(index)) => out.push(self.replace(index, since)),
            }
        }
        out
    }

    /// Removes plugin `index` (its run cancelled, its instances ended).
    fn remove(&mut self, index: usize) {
        if self.run.as_ref().map(|r| r.index) == Some(index) {
            self.cancel();
        }
        let plugin = self.list.remove(index);
        if let Some(run) = self.run.as_mut() {
            if run.index > index {
                run.index -= 1;
            }
        }
        if let Some(instance) = plugin.instance {
            instance.stop();
        }
        if let Some(old) = plugin.fallback {
            old.instance.stop();
        }
    }

    /// Starts the new version of plugin `index` and describes it; the old
    /// instance, when there is one, stays as the fallback.
    fn replace(&mut self, index: usize, since: u64) -> Reloaded {
        if self.run.as_ref().map(|r| r.index) == Some(index) {
            self.cancel();
        }
        let module = self.list[index].module.clone();
        let old_name = self.list[index].described.name.clone();
        match self.start_described(&module) {
            Ok((instance, described)) => {
                let plugin = &mut self.list[index];
                // A fallback still on trial is the one to keep: it worked.
                let previous = plugin.instance.take();
                match (previous, plugin.fallback.as_ref()) {
                    (Some(previous), None) => {
                        plugin.fallback = Some(Fallback { instance: previous, described: plugin.described.clone() })
                    }
                    (Some(previous), Some(_)) => previous.stop(),
                    (None, _) => {}
                }
                plugin.instance = Some(instance);
                adopt(plugin, described);
                wsk::logf!("paint: reloaded {} in {} ms", module, ms_since(since));
                Reloaded { text: format!("{} reloaded", plugin.described.name), error: false }
            }
            Err(why) => {
                let plugin = &mut self.list[index];
                let text = if plugin.instance.is_some() || plugin.fallback.is_some() {
                    format!("{}: the new version failed ({}); the previous one is back", old_name, why)
                } else {
                    format!("{}: the new version failed ({})", old_name, why)
                };
                wsk::logf!("paint: {}", text);
                Reloaded { text, error: true }
            }
        }
    }
}
