// How the CLI prints cases, items and alerts for a person: tables with human
// times, and every string from another country printed as text (control
// characters replaced), never interpreted by the terminal.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lintas::cli {

// Control characters (escape sequences included) replaced by '?'.
std::string Safe(const std::string& text);
void PrintCase(const nlohmann::json& kase);
void PrintCaseList(const nlohmann::json& cases);
void PrintItems(const nlohmann::json& items);
void PrintAlerts(const nlohmann::json& alerts);
void PrintAccess(const nlohmann::json& reply);

}  // namespace lintas::cli
